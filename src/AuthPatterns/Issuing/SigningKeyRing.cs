using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Issuing;

/// <summary>One RSA key of the ring and its schedule (the schedule as authenticated by the key's protected payload).</summary>
internal sealed record SigningKey(string KeyId, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset RetiresAt, DateTimeOffset UnpublishAt, RSA Rsa)
{
    public RsaSecurityKey SecurityKey { get; } = new(Rsa) { KeyId = KeyId };

    public RSAParameters PublicParameters { get; } = Rsa.ExportParameters(includePrivateParameters: false);

    public RsaSecurityKey PublicSecurityKey => field ??= new RsaSecurityKey(PublicParameters) { KeyId = KeyId };
}

/// <summary>What the ring holds at one moment: the key that signs now and the keys the JWKS publishes.</summary>
internal sealed record SigningKeyRingSnapshot(SigningKey Current, IReadOnlyList<SigningKey> Published)
{
    public SigningKey? Find(string keyId) => Published.FirstOrDefault(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal));
}

/// <summary>What the key directory holds, read without creating or deleting anything.</summary>
internal sealed record SigningKeyRingInspection(IReadOnlyList<SigningKey> Keys, SigningKey? Current, IReadOnlyList<SigningKey> Published, IReadOnlyList<SigningKeyFileIssue> Issues);

/// <summary>
/// RSA signing keys with ids, persisted as one file per key and rotated on schedule: a successor is created
/// <see cref="SigningKeyRingOptions.PublishAhead"/> before the current key retires, so it is published before it signs;
/// retired keys stay published for <see cref="SigningKeyRingOptions.RetainAfterRetirement"/>, then their files are deleted.
/// </summary>
/// <remarks>
/// <para>
/// Each file holds the key id and schedule twice: in plain JSON for people, and inside the Data Protection payload
/// (whose purpose also names the key id) with the private key. A file whose plain fields disagree with the protected
/// ones is ignored, so whoever can write the directory can neither extend a key's schedule nor clone it under another id.
/// </para>
/// <para>
/// Instances sharing the directory follow each other: every refresh re-reads changed files, drops keys whose file is
/// gone, and drops keys named by a <c>withdrawn-&lt;kid&gt;.json</c> marker (an emergency retirement). Creating a key
/// happens under an exclusive lock file, after re-reading the directory, so instances starting together create one key;
/// with <c>AddRedis()</c> also under a lock in Redis (<see cref="ISigningKeyRotationLock"/>), since a volume shared by
/// several machines may not honour file locks. Files are written owner-only (0600) in an owner-only directory (0700) on Unix.
/// </para>
/// <para>
/// Deletion trusts the clock only when the files agree with it: no file was created in the future, and the current key
/// either was created while the expired key was still published or has been current for a whole retention period.
/// </para>
/// </remarks>
internal sealed class SigningKeyRing
{
    internal const string Purpose = "AuthPatterns.SigningKeyRing.v2";
    internal const int FileVersion = 2;
    internal const string LockFileName = ".lock";
    internal const string WithdrawnPrefix = "withdrawn-";
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ReloadCooldown = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ClockTolerance = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly SigningKeyRingOptions _options;
    private readonly IDataProtector _protector;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, KeyFileEntry> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _withdrawn = new(StringComparer.Ordinal);
    private SigningKeyRingSnapshot? _snapshot;
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _nextCheck;
    private DateTimeOffset _lastReload = DateTimeOffset.MinValue;
    private bool _deletionDeferred;
    private readonly ISigningKeyRotationLock? _rotationLock;

    public SigningKeyRing(
        IOptions<SigningKeyRingOptions> options,
        IDataProtectionProvider dataProtection,
        TimeProvider time,
        ILogger<SigningKeyRing> logger,
        ISigningKeyRotationLock? rotationLock = null)
    {
        _rotationLock = rotationLock;
        _options = options.Value;
        _options.Validate();
        _protector = (_options.DataProtectionProvider ?? dataProtection).CreateProtector(Purpose);
        _time = time;
        _logger = logger;
        KeyDirectory = _options.KeyDirectory
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "AuthPatterns", "signing-keys");
    }

    public string KeyDirectory { get; }

    public TimeSpan JwksMaxAge => _options.JwksMaxAge;

    public TimeSpan RetainAfterRetirement => _options.RetainAfterRetirement;

    /// <summary>The files ignored at the last refresh, and why.</summary>
    public IReadOnlyList<SigningKeyFileIssue> Issues
    {
        get
        {
            lock (_gate)
            {
                return _files
                    .Where(f => f.Value.Problem is not null)
                    .Select(f => new SigningKeyFileIssue(Path.GetFileName(f.Key), f.Value.Problem!.Value))
                    .OrderBy(i => i.File, StringComparer.Ordinal)
                    .ToList();
            }
        }
    }

    /// <summary>Whether the last refresh found files that contradict the clock, so expired files were kept.</summary>
    public bool DeletionDeferred
    {
        get
        {
            lock (_gate)
            {
                return _deletionDeferred;
            }
        }
    }

    /// <summary>Every readable, non-withdrawn key of the directory, as of the last refresh.</summary>
    public IReadOnlyList<SigningKey> Keys
    {
        get
        {
            lock (_gate)
            {
                return LiveKeys().OrderBy(k => k.ActivatesAt).ToList();
            }
        }
    }

    /// <summary>
    /// Reads the key directory without creating or deleting anything (for <c>authpatterns signing-keys list</c>), and says
    /// which key would sign now and which the JWKS would publish.
    /// </summary>
    public SigningKeyRingInspection Inspect()
    {
        lock (_gate)
        {
            Scan();
            var now = _time.GetUtcNow();
            return new SigningKeyRingInspection(
                LiveKeys().OrderBy(k => k.ActivatesAt).ToList(),
                CurrentOf(now),
                LiveKeys().Where(k => IsPublishedAt(k, now)).ToList(),
                Issues);
        }
    }

    /// <summary>
    /// Re-reads the key directory now (at most once per <see cref="ReloadCooldown"/>), for a key id another instance
    /// sharing the directory may just have created.
    /// </summary>
    public SigningKeyRingSnapshot Reload()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now - _lastReload >= ReloadCooldown)
            {
                _lastReload = now;
                _nextCheck = now;
            }
        }

        return GetSnapshot();
    }

    public SigningKeyRingSnapshot GetSnapshot()
    {
        var now = _time.GetUtcNow();
        var snapshot = _snapshot;
        if (snapshot is not null && IsFresh(snapshot, now))
        {
            return snapshot;
        }

        lock (_gate)
        {
            if (_snapshot is not null && IsFresh(_snapshot, now))
            {
                return _snapshot;
            }

            return Refresh(now, heldLock: null);
        }
    }

    /// <summary>
    /// Withdraws a key now: it is no longer published and never signs again, on this instance at once and on every
    /// instance sharing the directory at its next refresh. A <c>withdrawn-&lt;kid&gt;.json</c> marker keeps it withdrawn
    /// even if a copy of its file comes back. When it was the current key, a fresh key takes over at once.
    /// </summary>
    /// <returns><see langword="false"/> when the directory holds no key with this id.</returns>
    public bool Retire(string keyId)
    {
        if (!IsKeyId(keyId))
        {
            throw new ArgumentException("A signing key id is 1 to 64 characters of base64url.", nameof(keyId));
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            using var directoryLock = AcquireLock();
            Scan();
            var path = PathOf(keyId);
            if (!File.Exists(path) && !_files.ContainsKey(path))
            {
                return false;
            }

            WriteOwnerOnly(Path.Combine(KeyDirectory, $"{WithdrawnPrefix}{keyId}.json"), JsonSerializer.SerializeToUtf8Bytes(
                new WithdrawnMarker { KeyId = keyId, WithdrawnAt = now }, SigningKeyFileJson.Default.WithdrawnMarker));
            Withdraw(keyId);
            Refresh(now, directoryLock);
            return true;
        }
    }

    /// <summary>Withdraws the current key (see <see cref="Retire"/>) and signs with a fresh key from now on.</summary>
    /// <returns>The new current key.</returns>
    public SigningKey RotateNow()
    {
        lock (_gate)
        {
            Retire(GetSnapshot().Current.KeyId);
            return _snapshot!.Current;
        }
    }

    // A snapshot serves until the next check, unless the current key retires or the clock went back (after a forward
    // jump is corrected, a check scheduled by the jumped clock must not pin the snapshot for the length of the jump).
    private bool IsFresh(SigningKeyRingSnapshot snapshot, DateTimeOffset now) =>
        now < _nextCheck && now >= _checkedAt && now < snapshot.Current.RetiresAt;

    private SigningKeyRingSnapshot Refresh(DateTimeOffset now, FileStream? heldLock)
    {
        EnsureDirectory();
        Scan();

        var current = CurrentOf(now);
        if (current is null || NeedsSuccessor(current, now))
        {
            var directoryLock = heldLock ?? AcquireLock();
            try
            {
                // Another instance on this machine may have created the key while this one waited for the lock file:
                // then no key is needed, and the shared lock is not asked for.
                Scan();
                current = CurrentOf(now);
                if (current is null || NeedsSuccessor(current, now))
                {
                    // Instances on several machines sharing the directory also take the shared rotation lock (Redis),
                    // and look again once they hold it.
                    using var rotationLock = _rotationLock?.Acquire(LockWait);
                    Scan();
                    current = CurrentOf(now) ?? Create(now, now);
                    if (NeedsSuccessor(current, now))
                    {
                        Create(now, current.RetiresAt);
                    }
                }
            }
            finally
            {
                if (heldLock is null)
                {
                    directoryLock.Dispose();
                }
            }
        }

        DeleteExpired(current, now, heldLock);

        var published = LiveKeys().Where(k => IsPublishedAt(k, now)).OrderBy(k => k.ActivatesAt).ToList();
        _snapshot = new SigningKeyRingSnapshot(current, published);
        _checkedAt = now;
        _nextCheck = now + CheckInterval;
        return _snapshot;
    }

    // The newest key whose activation has come; a key created "in the future" (by a clock that has since been
    // corrected) is never current.
    private SigningKey? CurrentOf(DateTimeOffset now) => LiveKeys()
        .Where(k => k.ActivatesAt <= now && now < k.RetiresAt && k.CreatedAt <= now + ClockTolerance)
        .MaxBy(k => k.ActivatesAt);

    private static bool IsPublishedAt(SigningKey key, DateTimeOffset now) => key.CreatedAt <= now + ClockTolerance && now < key.UnpublishAt;

    private bool NeedsSuccessor(SigningKey current, DateTimeOffset now) =>
        current.RetiresAt - now <= _options.PublishAhead
        && !LiveKeys().Any(k => k.ActivatesAt > current.ActivatesAt && k.ActivatesAt <= current.RetiresAt && k.CreatedAt <= now + ClockTolerance);

    private void DeleteExpired(SigningKey current, DateTimeOffset now, FileStream? heldLock)
    {
        var expired = LiveKeys().Where(k => now >= k.UnpublishAt).ToList();
        if (expired.Count == 0)
        {
            _deletionDeferred = false;
            return;
        }

        // One clock reading never deletes against the files: a file created in the future means the clock is behind
        // them, and a current key created after the expired one left the JWKS (and not yet current for a whole
        // retention) means the clock may have jumped over the keys' lifetimes.
        var clockBehindFiles = LiveKeys().Any(k => k.CreatedAt > now + ClockTolerance);
        var deletable = clockBehindFiles
            ? []
            : expired.Where(k => current.CreatedAt <= k.UnpublishAt || current.ActivatesAt + _options.RetainAfterRetirement <= now).ToList();
        var deferred = deletable.Count < expired.Count;
        if (deferred && !_deletionDeferred)
        {
            _logger.SigningKeyDeletionDeferred(expired.Count - deletable.Count, now);
        }

        _deletionDeferred = deferred;
        if (deletable.Count == 0)
        {
            return;
        }

        var directoryLock = heldLock ?? AcquireLock();
        try
        {
            foreach (var key in deletable)
            {
                var path = PathOf(key.KeyId);
                TryDelete(path);
                _files.Remove(path);
                key.Rsa.Dispose();
                _logger.SigningKeyDeleted(key.KeyId);
            }
        }
        finally
        {
            if (heldLock is null)
            {
                directoryLock.Dispose();
            }
        }
    }

    private IEnumerable<SigningKey> LiveKeys() =>
        _files.Values.Select(f => f.Key).OfType<SigningKey>().Where(k => !_withdrawn.Contains(k.KeyId));

    // Re-reads what changed since the last scan: new or rewritten files, removed files, withdrawal markers. A file that
    // cannot be used is logged once per version of the file, not at every refresh.
    private void Scan()
    {
        List<string> keyFiles;
        try
        {
            foreach (var marker in Directory.EnumerateFiles(KeyDirectory, WithdrawnPrefix + "*.json"))
            {
                var keyId = Path.GetFileNameWithoutExtension(marker)[WithdrawnPrefix.Length..];
                if (IsKeyId(keyId) && !_withdrawn.Contains(keyId))
                {
                    Withdraw(keyId);
                }
            }

            keyFiles = Directory.EnumerateFiles(KeyDirectory, "key-*.json").ToList();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Keep what was read last; the health check reports the ring as it stands.
            _logger.SigningKeyDirectoryUnreadable(KeyDirectory);
            return;
        }

        foreach (var path in _files.Keys.Except(keyFiles, StringComparer.Ordinal).ToList())
        {
            if (_files.Remove(path, out var gone) && gone.Key is { } removed && !_withdrawn.Contains(removed.KeyId))
            {
                _logger.SigningKeyFileRemoved(removed.KeyId);
            }
        }

        foreach (var path in keyFiles)
        {
            var stamp = FileStamp.Of(path);
            if (stamp is null || (_files.TryGetValue(path, out var known) && known.Stamp == stamp))
            {
                continue;
            }

            var entry = Read(path, stamp.Value);
            _files[path] = entry;
            if (entry.Problem is { } problem)
            {
                _logger.SigningKeyFileIgnored(Path.GetFileName(path), problem.Describe());
            }
        }
    }

    private void Withdraw(string keyId)
    {
        _withdrawn.Add(keyId);
        var path = PathOf(keyId);
        if (_files.Remove(path) || File.Exists(path))
        {
            TryDelete(path);
            _logger.SigningKeyRetired(keyId);
        }
    }

    private KeyFileEntry Read(string path, FileStamp stamp)
    {
        var keyId = Path.GetFileNameWithoutExtension(path)["key-".Length..];
        if (_withdrawn.Contains(keyId))
        {
            TryDelete(path);
            return new KeyFileEntry(stamp, null, null);
        }

        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.Unreadable);
        }

        SigningKeyFile? file;
        try
        {
            file = JsonSerializer.Deserialize(content, SigningKeyFileJson.Default.SigningKeyFile);
        }
        catch (JsonException)
        {
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.Malformed);
        }

        if (file is null || string.IsNullOrEmpty(file.ProtectedKey) || file.KeyId is null)
        {
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.Malformed);
        }

        if (file.Version != FileVersion)
        {
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.EarlierVersion);
        }

        if (!string.Equals(file.KeyId, keyId, StringComparison.Ordinal))
        {
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.KeyIdMismatch);
        }

        ProtectedSigningKey? payload;
        try
        {
            var unprotected = _protector.CreateProtector(keyId).Unprotect(Convert.FromBase64String(file.ProtectedKey));
            payload = JsonSerializer.Deserialize(unprotected, SigningKeyFileJson.Default.ProtectedSigningKey);
        }
        catch (Exception exception) when (exception is CryptographicException or FormatException)
        {
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.Undecryptable);
        }
        catch (JsonException)
        {
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.Malformed);
        }

        if (payload is null
            || !string.Equals(payload.KeyId, keyId, StringComparison.Ordinal)
            || payload.CreatedAt != file.CreatedAt || payload.ActivatesAt != file.ActivatesAt
            || payload.RetiresAt != file.RetiresAt || payload.UnpublishAt != file.UnpublishAt)
        {
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.ScheduleMismatch);
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(payload.PrivateKey, out _);
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.Malformed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload.PrivateKey);
        }

        if (rsa.KeySize < 2048)
        {
            rsa.Dispose();
            return new KeyFileEntry(stamp, null, SigningKeyFileProblem.WeakKey);
        }

        return new KeyFileEntry(stamp, new SigningKey(keyId, payload.CreatedAt, payload.ActivatesAt, payload.RetiresAt, payload.UnpublishAt, rsa), null);
    }

    private SigningKey Create(DateTimeOffset now, DateTimeOffset activatesAt)
    {
        var rsa = RSA.Create(_options.KeySize);
        var keyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));
        var retiresAt = activatesAt + _options.RotationInterval;
        var key = new SigningKey(keyId, now, activatesAt, retiresAt, retiresAt + _options.RetainAfterRetirement, rsa);

        var privateKey = rsa.ExportPkcs8PrivateKey();
        byte[] payload;
        try
        {
            payload = JsonSerializer.SerializeToUtf8Bytes(
                new ProtectedSigningKey
                {
                    KeyId = keyId,
                    CreatedAt = key.CreatedAt,
                    ActivatesAt = key.ActivatesAt,
                    RetiresAt = key.RetiresAt,
                    UnpublishAt = key.UnpublishAt,
                    PrivateKey = privateKey,
                },
                SigningKeyFileJson.Default.ProtectedSigningKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }

        var file = new SigningKeyFile
        {
            Version = FileVersion,
            KeyId = keyId,
            CreatedAt = key.CreatedAt,
            ActivatesAt = key.ActivatesAt,
            RetiresAt = key.RetiresAt,
            UnpublishAt = key.UnpublishAt,
            ProtectedKey = Convert.ToBase64String(_protector.CreateProtector(keyId).Protect(payload)),
        };
        CryptographicOperations.ZeroMemory(payload);

        var path = PathOf(keyId);
        WriteOwnerOnly(path, JsonSerializer.SerializeToUtf8Bytes(file, SigningKeyFileJson.Default.SigningKeyFile));
        _files[path] = new KeyFileEntry(FileStamp.Of(path) ?? default, key, null);
        _logger.SigningKeyCreated(keyId, activatesAt);
        return key;
    }

    private void EnsureDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(KeyDirectory);
        }
        else
        {
            Directory.CreateDirectory(KeyDirectory, OwnerOnlyDirectory);
        }
    }

    // Written to a temporary name first and moved in place, so a reader never sees half a file.
    private void WriteOwnerOnly(string path, byte[] content)
    {
        EnsureDirectory();
        var temporary = $"{path}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
    }

    // An exclusive lock file: FileShare.None is an OS-level lock (flock on Unix), held across processes and across
    // rings of one process. Waits up to LockWait; a lock held longer than that means a stuck process, so this fails.
    private FileStream AcquireLock()
    {
        EnsureDirectory();
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        var path = Path.Combine(KeyDirectory, LockFileName);
        var attempts = (int)(LockWait.TotalMilliseconds / 20);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, options);
            }
            catch (IOException) when (attempt < attempts)
            {
                // Not a clock reading: a pause before the next attempt at the lock.
                Thread.Sleep(Random.Shared.Next(5, 35));
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The key is dropped in memory either way; a file left behind is dropped again at the next refresh.
        }
    }

    internal static bool IsKeyId(string? keyId) =>
        !string.IsNullOrEmpty(keyId) && keyId.Length <= 64 && keyId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private string PathOf(string keyId) => Path.Combine(KeyDirectory, $"key-{keyId}.json");

    private readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
    {
        public static FileStamp? Of(string path)
        {
            try
            {
                var info = new FileInfo(path);
                return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : null;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    private sealed record KeyFileEntry(FileStamp Stamp, SigningKey? Key, SigningKeyFileProblem? Problem);

    /// <summary>The file as stored: the plain fields are for people; the protected payload is what the ring trusts.</summary>
    internal sealed class SigningKeyFile
    {
        public int Version { get; set; }

        public string? KeyId { get; set; }

        public DateTimeOffset CreatedAt { get; set; }

        public DateTimeOffset ActivatesAt { get; set; }

        public DateTimeOffset RetiresAt { get; set; }

        public DateTimeOffset UnpublishAt { get; set; }

        public string? ProtectedKey { get; set; }
    }

    /// <summary>What Data Protection authenticates (and encrypts): the key id, the schedule and the private key.</summary>
    internal sealed class ProtectedSigningKey
    {
        public string? KeyId { get; set; }

        public DateTimeOffset CreatedAt { get; set; }

        public DateTimeOffset ActivatesAt { get; set; }

        public DateTimeOffset RetiresAt { get; set; }

        public DateTimeOffset UnpublishAt { get; set; }

        public byte[] PrivateKey { get; set; } = [];
    }

    internal sealed class WithdrawnMarker
    {
        public string KeyId { get; set; } = "";

        public DateTimeOffset WithdrawnAt { get; set; }
    }
}
