namespace AuthPatterns.Issuing;

/// <summary>
/// The one door to the signing keys' lifecycle beyond the automatic rotation: list the keys, withdraw one at once, or
/// rotate now (an emergency, for a key that may be compromised). Every instance sharing the key directory follows within
/// its refresh interval (one minute). Registered by <c>AddSigningKeyRing</c>; the <c>authpatterns signing-keys</c>
/// command does the same from outside the application.
/// </summary>
public sealed class SigningKeyManager
{
    private readonly SigningKeyRing _ring;

    internal SigningKeyManager(SigningKeyRing ring) => _ring = ring;

    /// <summary>The keys of the directory with their schedules (never key material), oldest activation first.</summary>
    /// <returns>The keys.</returns>
    public IReadOnlyList<SigningKeyInfo> GetKeys()
    {
        var snapshot = _ring.GetSnapshot();
        return _ring.Keys.Select(k => new SigningKeyInfo(
                k,
                isCurrent: string.Equals(k.KeyId, snapshot.Current.KeyId, StringComparison.Ordinal),
                isPublished: snapshot.Find(k.KeyId) is not null))
            .ToList();
    }

    /// <summary>
    /// Reads the key directory as it stands, without creating, rotating or deleting a key (which <see cref="GetKeys"/> and
    /// signing may do): for looking at a directory from outside the application that signs with it, as the
    /// <c>authpatterns signing-keys list</c> command does.
    /// </summary>
    /// <returns>The keys, oldest activation first, and the files the ring ignores with the reason.</returns>
    public SigningKeyInspection Inspect()
    {
        var inspection = _ring.Inspect();
        var keys = inspection.Keys.Select(k => new SigningKeyInfo(
                k,
                isCurrent: ReferenceEquals(k, inspection.Current),
                isPublished: inspection.Published.Contains(k)))
            .ToList();
        return new SigningKeyInspection(keys, inspection.Issues);
    }

    /// <summary>
    /// Withdraws the current key (it is unpublished and never signs again) and signs with a fresh key from now on. The
    /// fresh key signs before any verifier has seen it: verifiers of this library fetch the JWKS again on the first token
    /// with an unknown key id; others accept it once their cached JWKS expires.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The fresh current key.</returns>
    public Task<SigningKeyInfo> RotateNowAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var key = _ring.RotateNow();
        return Task.FromResult(new SigningKeyInfo(key, isCurrent: true, isPublished: true));
    }

    /// <summary>
    /// Withdraws one key now: unpublished and never signing again, here at once and on every instance sharing the
    /// directory at its next refresh. A marker file keeps it withdrawn even if a copy of its file comes back. When it was
    /// the current key, a fresh key takes over (see <see cref="RotateNowAsync"/>).
    /// </summary>
    /// <param name="keyId">The key id (<c>kid</c>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="false"/> when the directory holds no key with this id.</returns>
    /// <exception cref="ArgumentException"><paramref name="keyId"/> is not a key id of this ring's form.</exception>
    public Task<bool> RetireAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_ring.Retire(keyId));
    }
}

/// <summary>What a signing key directory holds, as <see cref="SigningKeyManager.Inspect"/> read it.</summary>
public sealed class SigningKeyInspection
{
    internal SigningKeyInspection(IReadOnlyList<SigningKeyInfo> keys, IReadOnlyList<SigningKeyFileIssue> ignoredFiles)
    {
        Keys = keys;
        IgnoredFiles = ignoredFiles;
    }

    /// <summary>Every readable key not withdrawn, oldest activation first.</summary>
    public IReadOnlyList<SigningKeyInfo> Keys { get; }

    /// <summary>The files the ring ignores (unreadable, edited, written with other Data Protection keys), by name.</summary>
    public IReadOnlyList<SigningKeyFileIssue> IgnoredFiles { get; }
}

/// <summary>A signing key's id and schedule, as <see cref="SigningKeyManager"/> reports it.</summary>
public sealed class SigningKeyInfo
{
    internal SigningKeyInfo(SigningKey key, bool isCurrent, bool isPublished)
    {
        KeyId = key.KeyId;
        CreatedAt = key.CreatedAt;
        ActivatesAt = key.ActivatesAt;
        RetiresAt = key.RetiresAt;
        UnpublishAt = key.UnpublishAt;
        IsCurrent = isCurrent;
        IsPublished = isPublished;
    }

    /// <summary>The key id (<c>kid</c>).</summary>
    public string KeyId { get; }

    /// <summary>When the key was created (and first published).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When the key starts signing.</summary>
    public DateTimeOffset ActivatesAt { get; }

    /// <summary>When the key stops signing.</summary>
    public DateTimeOffset RetiresAt { get; }

    /// <summary>When the key leaves the JWKS.</summary>
    public DateTimeOffset UnpublishAt { get; }

    /// <summary>Whether the key signs now.</summary>
    public bool IsCurrent { get; }

    /// <summary>Whether the JWKS publishes the key now.</summary>
    public bool IsPublished { get; }
}
