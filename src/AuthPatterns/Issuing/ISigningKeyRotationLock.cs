namespace AuthPatterns.Issuing;

/// <summary>
/// A lock every instance sharing one key ring takes before it creates a key, beside the lock file in the directory:
/// a shared volume (NFS, SMB, a cloud file share) may not honour file locks across machines, and two instances that
/// both create a successor publish two keys for one rotation.
/// </summary>
internal interface ISigningKeyRotationLock
{
    /// <summary>
    /// Takes the lock, waiting up to <paramref name="wait"/> for another holder. Returns <see langword="null"/> when the
    /// lock's store is unreachable (the lock file alone then guards, as on one machine).
    /// </summary>
    /// <exception cref="TimeoutException">Another instance held the lock for longer than <paramref name="wait"/>.</exception>
    IDisposable? Acquire(TimeSpan wait);
}
