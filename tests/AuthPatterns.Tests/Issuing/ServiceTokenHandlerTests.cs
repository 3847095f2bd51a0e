using System.Net;
using AuthPatterns.Issuing;
using AuthPatterns.Tests.Jwt;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.Issuing;

/// <summary>The outgoing service-token handler against a fake OAuth2 token endpoint, on a fake clock.</summary>
public sealed class ServiceTokenHandlerTests : IAsyncDisposable
{
    private const string Secret = "s3cr3t-never-shown";
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeTokenEndpoint _endpoint = new();
    private readonly RecordingHandler _downstream = new();
    private IHost? _host;

    public async ValueTask DisposeAsync()
    {
        _endpoint.Release();
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }

    [Theory]
    [InlineData("Production", "http://auth.test/token", false)]
    [InlineData("Production", "http://localhost:5000/token", false)]
    [InlineData("Staging", "http://127.0.0.1/token", false)]
    [InlineData("Development", "http://auth.test/token", false)]
    [InlineData("Development", "http://localhost:5000/token", true)]
    [InlineData("Development", "http://[::1]:5000/token", true)]
    [InlineData("Production", "https://auth.test/token", true)]
    public async Task A_plain_http_token_endpoint_fails_at_startup_outside_development_and_beyond_loopback(string environment, string endpoint, bool starts)
    {
        var start = StartAsync(o => o.TokenEndpoint = new Uri(endpoint), environment);
        if (starts)
        {
            await start;
            return;
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => start);
        Assert.Contains("ServiceTokenHandlerOptions.TokenEndpoint must be an https address", error.Message, StringComparison.Ordinal);
        Assert.Contains("HttpClient 'api'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _endpoint.Calls);
    }

    [Fact]
    public async Task A_token_shorter_lived_than_RenewBefore_is_reused_until_half_its_lifetime_not_fetched_per_request()
    {
        _endpoint.ExpiresIn = "30";
        var client = await StartAsync();

        for (var i = 0; i < 50; i++)
        {
            await client.GetAsync(new Uri($"https://api.test/{i}"));
        }

        _time.Advance(TimeSpan.FromSeconds(14));
        await client.GetAsync(new Uri("https://api.test/at-14s"));
        Assert.Equal(1, _endpoint.Calls);

        _time.Advance(TimeSpan.FromSeconds(1));
        await client.GetAsync(new Uri("https://api.test/at-15s"));
        await Provider.PendingRenewal("api");
        await client.GetAsync(new Uri("https://api.test/renewed"));

        Assert.Equal(2, _endpoint.Calls);
        Assert.Equal("token-1", _downstream.Tokens[^2]);
        Assert.Equal("token-2", _downstream.Tokens[^1]);
    }

    [Fact]
    public async Task An_expires_in_of_int_MaxValue_is_capped_at_MaxTokenLifetime()
    {
        _endpoint.ExpiresIn = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var client = await StartAsync();
        await client.GetAsync(new Uri("https://api.test/first"));

        _time.Advance(TimeSpan.FromHours(1));
        await client.GetAsync(new Uri("https://api.test/an-hour-later"));

        Assert.Equal(2, _endpoint.Calls);
        Assert.Equal(["token-1", "token-2"], _downstream.Tokens);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-60")]
    [InlineData("\"soon\"")]
    [InlineData("null")]
    public async Task A_zero_negative_or_unreadable_expires_in_is_refused(string expiresIn)
    {
        _endpoint.ExpiresIn = expiresIn;
        var client = await StartAsync();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("https://api.test/")));

        Assert.Equal("No service token for the HttpClient 'api': the token response has no positive expires_in.", error.Message);
        Assert.Empty(_downstream.Tokens);
    }

    [Fact]
    public async Task A_slow_or_failing_token_endpoint_never_holds_requests_that_have_a_valid_token()
    {
        var client = await StartAsync();
        await client.GetAsync(new Uri("https://api.test/first"));

        // Renewal is due (300 s token, renewed 60 s ahead) and the endpoint hangs: every request still completes at
        // once with the held token, and only one renewal is in flight.
        _time.Advance(TimeSpan.FromSeconds(241));
        _endpoint.Hold();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetAsync(new Uri($"https://api.test/{i}")))).WaitAsync(Guard);
        await _endpoint.NextCall();
        await _endpoint.NextCall();
        Assert.Equal(2, _endpoint.Calls);
        Assert.All(_downstream.Tokens, t => Assert.Equal("token-1", t));

        // It fails: retried after 1 s, then 2 s, not on every request.
        _endpoint.Fail = true;
        _endpoint.Release();
        await Provider.PendingRenewal("api");
        _time.Advance(TimeSpan.FromMilliseconds(999));
        await client.GetAsync(new Uri("https://api.test/backing-off"));
        Assert.Equal(2, _endpoint.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await client.GetAsync(new Uri("https://api.test/retry-1"));
        await Provider.PendingRenewal("api");
        Assert.Equal(3, _endpoint.Calls);
        _time.Advance(TimeSpan.FromSeconds(1));
        await client.GetAsync(new Uri("https://api.test/still-backing-off"));
        Assert.Equal(3, _endpoint.Calls);

        _endpoint.Fail = false;
        _time.Advance(TimeSpan.FromSeconds(1));
        await client.GetAsync(new Uri("https://api.test/retry-2"));
        await Provider.PendingRenewal("api");
        await client.GetAsync(new Uri("https://api.test/renewed"));
        Assert.Equal(4, _endpoint.Calls);
        Assert.Equal("token-1", _downstream.Tokens[^2]);
        Assert.Equal("token-4", _downstream.Tokens[^1]);
    }

    [Fact]
    public async Task Without_a_valid_token_a_caller_waits_at_most_TokenRequestTimeout_and_the_error_holds_no_secret()
    {
        var client = await StartAsync();
        _endpoint.Hold();

        var request = client.GetAsync(new Uri("https://api.test/"));
        await _endpoint.NextCall();
        _time.Advance(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => request.WaitAsync(Guard));

        Assert.StartsWith("No service token for the HttpClient 'api': ", error.Message, StringComparison.Ordinal);
        Assert.Contains("00:00:10", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        Assert.Empty(_downstream.Tokens);

        // Right after a failure, a caller without a token fails at once instead of calling the endpoint again.
        await Provider.PendingRenewal("api");
        var again = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("https://api.test/")));
        Assert.StartsWith("No service token for the HttpClient 'api': ", again.Message, StringComparison.Ordinal);
        Assert.Equal(1, _endpoint.Calls);
    }

    [Fact]
    public async Task A_changed_audience_never_gets_the_token_issued_for_the_old_one()
    {
        var client = await StartAsync(configuration: new Dictionary<string, string?> { ["Api:Audience"] = "orders-api" });
        await client.GetAsync(new Uri("https://api.test/first"));
        Assert.Contains("audience=orders-api", _endpoint.Body, StringComparison.Ordinal);

        var configuration = (IConfigurationRoot)_host!.Services.GetRequiredService<IConfiguration>();
        configuration["Api:Audience"] = "billing-api";
        configuration.Reload();
        await client.GetAsync(new Uri("https://api.test/after-change"));

        Assert.Equal(2, _endpoint.Calls);
        Assert.Contains("audience=billing-api", _endpoint.Body, StringComparison.Ordinal);
        Assert.Equal(["token-1", "token-2"], _downstream.Tokens);
    }

    [Fact]
    public async Task A_token_response_larger_than_64_KiB_is_refused_not_buffered()
    {
        var client = await StartAsync();
        _endpoint.Padding = 64 * 1024;

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("https://api.test/")).WaitAsync(Guard));

        Assert.Equal("No service token for the HttpClient 'api': the token response is larger than 64 KiB.", error.Message);
        Assert.Empty(_downstream.Tokens);
    }

    [Fact]
    public async Task A_retry_waits_up_to_a_quarter_longer_at_random_so_instances_do_not_retry_together()
    {
        var client = await StartAsync();
        Provider.RetryJitter = new MostJitter();
        _endpoint.Fail = true;
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("https://api.test/fails")).WaitAsync(Guard));
        Assert.Equal(1, _endpoint.Calls);

        _time.Advance(TimeSpan.FromMilliseconds(1240));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("https://api.test/backing-off")).WaitAsync(Guard));
        Assert.Equal(1, _endpoint.Calls);

        _time.Advance(TimeSpan.FromMilliseconds(10));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("https://api.test/retry")).WaitAsync(Guard));
        Assert.Equal(2, _endpoint.Calls);
    }

    private ServiceTokenProvider Provider => _host!.Services.GetRequiredService<ServiceTokenProvider>();

    private async Task<HttpClient> StartAsync(
        Action<ServiceTokenHandlerOptions>? configure = null,
        string environment = "Production",
        Dictionary<string, string?>? configuration = null)
    {
        _host = TestHost.Create(environment)
            .WithConfiguration(configuration ?? [])
            .WithTime(_time)
            .Configure(builder =>
            {
                builder.Services.AddHttpClient("api")
                    .AddServiceTokenHandler(o =>
                    {
                        o.TokenEndpoint = new Uri("https://auth.test/token");
                        o.ClientId = "billing";
                        o.ClientSecret = Secret;
                        o.Scopes = ["orders:read"];
                        configure?.Invoke(o);
                    })
                    .ConfigurePrimaryHttpMessageHandler(() => _downstream);
                if (configuration is not null)
                {
                    builder.Services.Configure<ServiceTokenHandlerOptions>("api", builder.Configuration.GetSection("Api"));
                }

                builder.Services.AddHttpClient(ServiceTokenProvider.TokenEndpointClientName).ConfigurePrimaryHttpMessageHandler(() => _endpoint);
            })
            .Build();
        Provider.RetryJitter = new NoRetryJitter();
        await _host.StartAsync();
        return _host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("api");
    }

    private sealed class MostJitter : Random
    {
        public override double NextDouble() => 0.999;
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<string> Tokens { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Tokens)
            {
                Tokens.Add(request.Headers.Authorization!.Parameter!);
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }

    private sealed class FakeTokenEndpoint : HttpMessageHandler
    {
        private readonly SemaphoreSlim _called = new(0);
        private TaskCompletionSource? _gate;
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public string ExpiresIn { get; set; } = "300";

        public bool Fail { get; set; }

        /// <summary>Blanks added to the JSON answer, for an endpoint that sends more than a token response.</summary>
        public int Padding { get; set; }

        public string? Body { get; private set; }

        /// <summary>Waits until the endpoint has been called once more (each call is counted once).</summary>
        public async Task NextCall() => Assert.True(await _called.WaitAsync(Guard), "The token endpoint was not called.");

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate?.TrySetResult();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _called.Dispose();
            }

            base.Dispose(disposing);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            Body = await request.Content!.ReadAsStringAsync(cancellationToken);
            _called.Release();
            if (_gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            return Fail
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                : new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent($"{{\"access_token\":\"token-{call}\",\"token_type\":\"Bearer\",\"expires_in\":{ExpiresIn}{new string(' ', Padding)}}}", System.Text.Encoding.UTF8, "application/json"),
                };
        }
    }
}

/// <summary>Retries on the exact delays, for tests that step the clock to them.</summary>
internal sealed class NoRetryJitter : Random
{
    public override double NextDouble() => 0;
}
