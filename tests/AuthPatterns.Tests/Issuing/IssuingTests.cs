using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using AuthPatterns.Issuing;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Issuing;

public sealed class IssuingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ap-jwt-keys-").FullName;
    private readonly FakeTimeProvider _time = new(Start);
    private readonly IDataProtectionProvider _protection = new EphemeralDataProtectionProvider();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private SigningKeyRing Ring() => new(
        Options.Create(new SigningKeyRingOptions { KeyDirectory = _directory }),
        _protection,
        _time,
        NullLogger<SigningKeyRing>.Instance);

    [Fact]
    public void A_new_key_is_published_before_it_signs_and_a_retired_key_stays_published_past_the_retention()
    {
        var ring = Ring();
        var first = ring.GetSnapshot();
        var a = first.Current;
        Assert.Equal([a.KeyId], first.Published.Select(k => k.KeyId));

        _time.Advance(TimeSpan.FromDays(27) + TimeSpan.FromHours(23));
        Assert.Single(ring.GetSnapshot().Published);

        _time.Advance(TimeSpan.FromHours(1));
        var announced = ring.GetSnapshot();
        Assert.Equal(a.KeyId, announced.Current.KeyId);
        var b = Assert.Single(announced.Published, k => k.KeyId != a.KeyId);
        Assert.Equal(a.RetiresAt, b.ActivatesAt);

        _time.Advance(TimeSpan.FromDays(2));
        var rotated = ring.GetSnapshot();
        Assert.Equal(b.KeyId, rotated.Current.KeyId);
        Assert.Contains(rotated.Published, k => k.KeyId == a.KeyId);

        _time.Advance(TimeSpan.FromDays(2));
        var retired = ring.GetSnapshot();
        Assert.Equal([b.KeyId], retired.Published.Select(k => k.KeyId));
        Assert.False(File.Exists(Path.Combine(_directory, $"key-{a.KeyId}.json")));
    }

    [Fact]
    public void Keys_persist_protected_and_a_second_instance_reads_them()
    {
        var key = Ring().GetSnapshot().Current;
        var file = Directory.GetFiles(_directory, "key-*.json").Single();
        var stored = JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetProperty("protectedKey").GetString()!;

        using var probe = RSA.Create();
        Assert.ThrowsAny<CryptographicException>(() => probe.ImportPkcs8PrivateKey(Convert.FromBase64String(stored), out _));
        Assert.DoesNotContain("PRIVATE", File.ReadAllText(file), StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(_directory, "key-broken.json"), "{ not json");
        var again = Ring().GetSnapshot();
        Assert.Equal(key.KeyId, again.Current.KeyId);
        Assert.Equal(key.PublicParameters.Modulus, again.Current.PublicParameters.Modulus);
    }

    [Fact]
    public void The_ring_refuses_keys_below_2048_bits()
    {
        var options = new SigningKeyRingOptions { KeySize = 1024 };
        Assert.Contains("KeySize", Assert.Throws<InvalidOperationException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_lifetime_that_outlives_key_retention_fails_at_startup()
    {
        var host = TestHost.Create().WithServices(services =>
        {
            services.AddSigningKeyRing(o =>
            {
                o.KeyDirectory = _directory;
                o.RetainAfterRetirement = TimeSpan.FromHours(1);
            });
            services.AddServiceTokenIssuer(o =>
            {
                o.Issuer = Issuer;
                o.MaxLifetime = TimeSpan.FromHours(1);
            });
        });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartAsync);
        Assert.Contains("ServiceTokenIssuerOptions.MaxLifetime plus 5 minutes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_tokens_carry_the_rfc_9068_claims_and_validate_against_the_local_ring()
    {
        await using var app = await StartIssuerAsync();
        var issuer = app.Services.GetRequiredService<IServiceTokenIssuer>();

        var issued = await issuer.IssueAsync(new ServiceTokenRequest { Audience = Audience, Subject = "svc-a", Scopes = ["reports:read"] });

        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(issued.AccessToken);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal("RS256", jwt.Alg);
        Assert.Equal(Issuer, jwt.Issuer);
        Assert.Equal([Audience], jwt.Audiences);
        Assert.Equal("svc-a", jwt.Subject);
        Assert.Equal(issued.TokenId, jwt.Id);
        Assert.Equal("reports:read", jwt.GetPayloadValue<string>("scope"));
        Assert.Equal(Start, jwt.IssuedAt);
        Assert.Equal(Start.AddMinutes(15), issued.ExpiresAt);
        Assert.Equal(Start.AddMinutes(15).UtcDateTime, jwt.ValidTo);

        var response = await app.Client().SendAsync(Get("/reports", issued.AccessToken));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_jwks_endpoint_serves_public_parts_only_with_cache_headers()
    {
        await using var app = await StartIssuerAsync();
        var response = await app.Client().GetAsync("/.well-known/jwks.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=600", response.Headers.CacheControl!.ToString());
        var key = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("keys")[0];
        Assert.Equal(["kty", "use", "alg", "kid", "n", "e"], key.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2048, Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key.GetProperty("n").GetString()).Length * 8);
    }

    [Fact]
    public async Task Through_two_rotations_no_request_is_refused_by_a_verifier_fed_by_the_jwks_endpoint()
    {
        await using var issuerApp = await StartIssuerAsync();
        var issuerClient = issuerApp.Client();
        var jwks = new FakeJwksHandler("");
        jwks.Respond = async _ =>
        {
            var answer = await issuerClient.GetAsync("/.well-known/jwks.json");
            var copy = new HttpResponseMessage(answer.StatusCode) { Content = new ByteArrayContent(await answer.Content.ReadAsByteArrayAsync()) };
            copy.Headers.CacheControl = answer.Headers.CacheControl;
            return copy;
        };
        await using var verifier = await StartHostAsync(jwks, _time);
        var issuer = issuerApp.Services.GetRequiredService<IServiceTokenIssuer>();
        var runtime = verifier.Services.GetRequiredService<JwtSchemeRuntime>();
        var kids = new HashSet<string>();

        for (var hour = 0; hour < 24 * 65; hour++)
        {
            var token = (await issuer.IssueAsync(new ServiceTokenRequest { Audience = Audience, Subject = "svc", Scopes = ["reports:read"] })).AccessToken;
            kids.Add(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Kid);
            Assert.Equal(HttpStatusCode.OK, (await verifier.Client().SendAsync(Get("/reports", token))).StatusCode);
            await ((JwksKeySource)runtime.KeySource).PendingRefresh;
            _time.Advance(TimeSpan.FromHours(1));
        }

        Assert.Equal(3, kids.Count);
        Assert.InRange(jwks.Fetches, 24 * 65 / 2, 24 * 65 + 10);
    }

    [Fact]
    public async Task The_handler_caches_a_local_token_and_renews_it_before_expiry()
    {
        var downstream = new RecordingHandler();
        await using var app = await StartIssuerAsync(services => services.AddHttpClient("orders")
            .AddServiceTokenHandler(o =>
            {
                o.Audience = Audience;
                o.Scopes = ["orders:read"];
                o.Subject = "svc-caller";
            })
            .ConfigurePrimaryHttpMessageHandler(() => downstream));
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        await client.GetAsync("https://orders.test/a");
        await client.GetAsync("https://orders.test/b");
        _time.Advance(TimeSpan.FromMinutes(13) + TimeSpan.FromSeconds(59));
        await client.GetAsync("https://orders.test/c");
        _time.Advance(TimeSpan.FromSeconds(1));
        await client.GetAsync("https://orders.test/d");
        await app.Services.GetRequiredService<ServiceTokenProvider>().PendingRenewal("orders");
        await client.GetAsync("https://orders.test/e");

        // The held token serves while its renewal runs in the background; the next request carries the new one.
        Assert.Equal(5, downstream.Tokens.Count);
        Assert.Equal(downstream.Tokens[0], downstream.Tokens[2]);
        Assert.Equal(downstream.Tokens[0], downstream.Tokens[3]);
        Assert.NotEqual(downstream.Tokens[0], downstream.Tokens[4]);
        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(downstream.Tokens[0]);
        Assert.Equal("svc-caller", jwt.Subject);
        Assert.Equal("orders:read", jwt.GetPayloadValue<string>("scope"));
    }

    [Fact]
    public async Task Client_credentials_renewal_is_single_flight_and_survives_a_failed_renewal()
    {
        var downstream = new RecordingHandler();
        var endpoint = new TokenEndpointHandler();
        await using var app = await StartIssuerAsync(services =>
        {
            services.AddHttpClient("partner")
                .AddServiceTokenHandler(o =>
                {
                    o.TokenEndpoint = new Uri("https://auth.test/token");
                    o.ClientId = "billing";
                    o.ClientSecret = "s3cr3t/+";
                    o.Scopes = ["orders:read", "orders:write"];
                })
                .ConfigurePrimaryHttpMessageHandler(() => downstream);
            services.AddHttpClient("AuthPatterns.TokenEndpoint").ConfigurePrimaryHttpMessageHandler(() => endpoint);
        });
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("partner");

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetAsync($"https://partner.test/{i}")));
        Assert.Equal(1, endpoint.Calls);
        Assert.All(downstream.Tokens, t => Assert.Equal("token-1", t));
        Assert.Equal("Basic " + Convert.ToBase64String("billing:s3cr3t%2F%2B"u8.ToArray()), endpoint.Authorization);
        Assert.Equal("grant_type=client_credentials&scope=orders%3Aread+orders%3Awrite", endpoint.Body);

        var provider = app.Services.GetRequiredService<ServiceTokenProvider>();
        provider.RetryJitter = new NoRetryJitter();
        _time.Advance(TimeSpan.FromSeconds(241));
        endpoint.Fail = true;
        await client.GetAsync("https://partner.test/during-outage");
        await provider.PendingRenewal("partner");
        Assert.Equal("token-1", downstream.Tokens[^1]);
        Assert.Equal(2, endpoint.Calls);

        // The failed renewal is retried after its delay, not by every request; the held token keeps serving.
        endpoint.Fail = false;
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetAsync($"https://partner.test/{i}")));
        Assert.Equal(2, endpoint.Calls);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetAsync($"https://partner.test/{i}")));
        await provider.PendingRenewal("partner");
        await client.GetAsync("https://partner.test/after");
        Assert.Equal(3, endpoint.Calls);
        Assert.Equal("token-3", downstream.Tokens[^1]);
    }

    private async Task<WebApplication> StartIssuerAsync(Action<IServiceCollection>? services = null) =>
        await LayeredTestHost.StartAsync(
            app =>
            {
                app.MapJwks();
                app.MapGet("/reports", () => "reports").RequireScope("reports:read");
            },
            layered => layered.AddJwt(o =>
            {
                o.UseLocalSigningKeys = true;
                o.Issuer = Issuer;
                o.Audience = Audience;
            }),
            s =>
            {
                s.AddSingleton<TimeProvider>(_time);
                s.AddSingleton(_protection);
                s.AddSigningKeyRing(o => o.KeyDirectory = _directory);
                s.AddServiceTokenIssuer(o => o.Issuer = Issuer);
                services?.Invoke(s);
            });

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

    private sealed class TokenEndpointHandler : HttpMessageHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public bool Fail { get; set; }

        public string? Authorization { get; private set; }

        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            Authorization = request.Headers.Authorization?.ToString();
            Body = await request.Content!.ReadAsStringAsync(cancellationToken);
            await Task.Delay(20, cancellationToken);
            return Fail
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                : new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent($"{{\"access_token\":\"token-{call}\",\"token_type\":\"Bearer\",\"expires_in\":300}}", System.Text.Encoding.UTF8, "application/json"),
                };
        }
    }
}
