using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>Flushes recorded usage on a timer, and once more when the application stops.</summary>
internal sealed class ApiKeyUsageFlushService : BackgroundService
{
    private readonly ApiKeyUsageRecorder _recorder;
    private readonly TimeProvider _time;

    public ApiKeyUsageFlushService(ApiKeyUsageRecorder recorder, TimeProvider time)
    {
        _recorder = recorder;
        _time = time;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _recorder.FlushAsync(CancellationToken.None);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_recorder.Options.UsageFlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await _recorder.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes what is left.
        }
    }
}
