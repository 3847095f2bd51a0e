namespace AuthPatterns.ApiKeys;

/// <summary>
/// Tells the other instances of the application that a key was revoked or changed, so they drop it from their caches.
/// The default does nothing: the instance that revoked drops it at once, the others when their cache entry expires
/// (<see cref="ApiKeyAuthenticationOptions.CacheLifetime"/>, 60 seconds by default), which is the documented worst case.
/// </summary>
public interface IApiKeyRevocationNotifier
{
    /// <summary>Announces that a key was revoked or changed.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="cancellationToken">Cancels the announcement.</param>
    /// <returns>A task that completes when the announcement was sent.</returns>
    Task PublishAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Starts listening for announcements of other instances.</summary>
    /// <param name="onChanged">Called with the id of each key announced.</param>
    /// <param name="cancellationToken">Cancels the subscription.</param>
    /// <returns>A task that completes when listening has started.</returns>
    Task SubscribeAsync(Func<string, Task> onChanged, CancellationToken cancellationToken = default);
}

/// <summary>The default notifier: other instances learn of a revocation when their cache entry expires.</summary>
internal sealed class NoOpApiKeyRevocationNotifier : IApiKeyRevocationNotifier
{
    public Task PublishAsync(string keyId, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task SubscribeAsync(Func<string, Task> onChanged, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
