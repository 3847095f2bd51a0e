using Microsoft.Extensions.Hosting;

namespace AuthPatterns.Jwt;

/// <summary>
/// Starts the first JWKS fetch when the host starts, without waiting for it, so the first request rarely waits and a
/// JWKS endpoint that is down at startup never stops the application from starting.
/// </summary>
internal sealed class JwksWarmup : IHostedService
{
    private readonly JwtSchemeRuntime _runtime;

    public JwksWarmup(JwtSchemeRuntime runtime) => _runtime = runtime;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        (_runtime.KeySource as JwksKeySource)?.WarmUp();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
