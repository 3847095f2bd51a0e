using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using AuthPatterns.Tests.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Infrastructure;

/// <summary>The meter comes from the application's <see cref="IMeterFactory"/>, under the public name constants.</summary>
public sealed class TelemetryTests : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _key.Dispose();

    private Task<WebApplication> StartAsync(IMeterFactory? meters = null) =>
        StartHostAsync(new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_key, "k1"))), _time, services: s =>
        {
            if (meters is not null)
            {
                s.AddSingleton(meters);
            }
        });

    private string Token() => SignRs(_key, Header(), Payload(_time.GetUtcNow()));

    [Fact]
    public async Task The_meter_is_created_by_the_applications_IMeterFactory_under_LayeredAuthTelemetry_MeterName()
    {
        using var meters = new TestMeterFactory();
        var measured = new ConcurrentQueue<(string Instrument, long Value, string? Outcome)>();
        using var listener = new MeterListener
        {
            // Only meters this factory made: a static meter, or another host's, is not listened to.
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Meter.Name == LayeredAuthTelemetry.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key is "outcome" or "result")
                {
                    outcome = tag.Value as string;
                }
            }

            measured.Enqueue((instrument.Name, value, outcome));
        });
        listener.Start();

        await using var app = await StartAsync(meters);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/reports", Token()))).StatusCode);

        Assert.Contains(meters.Meters, m => m.Name == LayeredAuthTelemetry.MeterName);
        Assert.Contains(measured, m => m is ("authpatterns.authentication.outcomes", 1, "valid"));
        Assert.Contains(measured, m => m is ("authpatterns.jwt.cache_lookups", 1, "miss"));
        Assert.Contains(measured, m => m is ("authpatterns.jwt.jwks_fetches", 1, "ok"));
    }

    [Fact]
    public async Task Two_applications_in_one_process_do_not_see_each_others_measurements()
    {
        await using var first = await StartAsync();
        await using var second = await StartAsync();
        using var outcomes = new MetricCollector<long>(
            first.Services.GetRequiredService<IMeterFactory>(), LayeredAuthTelemetry.MeterName, "authpatterns.authentication.outcomes");

        Assert.Equal(HttpStatusCode.OK, (await second.Client().SendAsync(Get("/reports", Token()))).StatusCode);
        Assert.Empty(outcomes.GetMeasurementSnapshot());

        Assert.Equal(HttpStatusCode.Unauthorized, (await first.Client().SendAsync(Get("/reports", "not-a-token"))).StatusCode);
        var measurement = Assert.Single(outcomes.GetMeasurementSnapshot());
        Assert.Equal("invalid_token", measurement.Tags["outcome"]);
        Assert.Equal(LayeredAuthSchemes.Bearer, measurement.Tags["scheme"]);
    }

    [Fact]
    public async Task The_token_cache_gauges_report_its_entries_and_the_bytes_charged_for_them()
    {
        await using var app = await StartAsync();
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        using var entries = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.jwt.cache_entries");
        using var bytes = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.jwt.cache_bytes");

        var token = Token();
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/reports", token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/reports", token))).StatusCode);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/reports", Token()))).StatusCode);

        entries.RecordObservableInstruments();
        bytes.RecordObservableInstruments();
        Assert.Equal(2, entries.LastMeasurement!.Value);
        Assert.Equal(LayeredAuthSchemes.Bearer, entries.LastMeasurement.Tags["scheme"]);
        var cache = app.Services.GetRequiredService<AuthPatterns.Jwt.JwtSchemeRuntime>().Cache!;
        Assert.Equal(cache.Size, bytes.LastMeasurement!.Value);
        Assert.InRange(bytes.LastMeasurement.Value, 2, cache.SizeLimit);
    }
}
