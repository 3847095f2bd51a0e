using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>Listens for revocations announced by other instances and drops those keys from this instance's cache.</summary>
internal sealed class ApiKeyRevocationSubscriber : IHostedService
{
    private readonly IApiKeyRevocationNotifier _notifier;
    private readonly ApiKeyVerifier _verifier;

    public ApiKeyRevocationSubscriber(IApiKeyRevocationNotifier notifier, ApiKeyVerifier verifier)
    {
        _notifier = notifier;
        _verifier = verifier;
    }

    public Task StartAsync(CancellationToken cancellationToken) =>
        _notifier.SubscribeAsync(
            keyId =>
            {
                _verifier.Evict(keyId);
                return Task.CompletedTask;
            },
            cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
