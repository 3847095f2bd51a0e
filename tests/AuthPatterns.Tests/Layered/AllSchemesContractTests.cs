using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tests.Jwt;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.Layered;

/// <summary>
/// The same contract, run against the three real schemes registered together: forwarding to exactly one, the 401
/// challenge of each accepted scheme, 403 for a missing scope, 400 for two kinds of credential, and scheme restriction.
/// </summary>
public sealed class AllSchemesContractTests : IAsyncLifetime
{
    private const string TrustedProxy = "10.0.0.7";
    private const string Stranger = "198.51.100.9";
    private const string ProxyProof = "contract-proxy-proof-0123456789abcdef0123";

    private readonly RSA _signingKey = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(JwtTestKit.Start);
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private string _apiKey = null!;
    private string _apiKeyId = null!;

    public static TheoryData<string> Schemes => [LayeredAuthSchemes.ApiKey, LayeredAuthSchemes.Bearer, LayeredAuthSchemes.ForwardAuth];

    public static TheoryData<string, string> SchemePairs => new()
    {
        { LayeredAuthSchemes.ApiKey, LayeredAuthSchemes.Bearer },
        { LayeredAuthSchemes.ApiKey, LayeredAuthSchemes.ForwardAuth },
        { LayeredAuthSchemes.Bearer, LayeredAuthSchemes.ForwardAuth },
    };

    public async Task InitializeAsync()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(_signingKey, "k1")));
        _app = await LayeredTestHost.StartAsync(
            app =>
            {
                app.MapGet("/profile", (ClaimsPrincipal user) => $"{user.FindFirstValue(LayeredClaimTypes.Scheme)}:{user.FindFirstValue(LayeredClaimTypes.Subject)}")
                    .RequireScope("profile:read");
                app.MapGet("/admin", () => "admin").RequireScope("admin:write");
                app.MapGet("/anon", (ClaimsPrincipal user) => $"open:{user.Identity?.IsAuthenticated == true}");
                app.MapGet("/only-key", () => "key").RequireScope("profile:read").AllowSchemes(LayeredAuthSchemes.ApiKey);
                app.MapGet("/only-bearer", () => "bearer").RequireScope("profile:read").AllowSchemes(LayeredAuthSchemes.Bearer);
                app.MapGet("/only-portal", () => "portal").RequireScope("profile:read").AllowSchemes(LayeredAuthSchemes.ForwardAuth);
            },
            layered => layered
                .AddApiKeys(ApiKeyTestApp.Cheap)
                .AddJwt(options =>
                {
                    options.JwksUri = JwtTestKit.JwksUri;
                    options.Issuer = JwtTestKit.Issuer;
                    options.Audience = JwtTestKit.Audience;
                })
                .AddForwardAuth(options =>
                {
                    options.Mode = ForwardAuthMode.TrustedHeaders;
                    options.TrustedProxies.Add("10.0.0.0/24");
                    options.TrustedHeadersSecret = ProxyProof;
                    options.MapGroup("staff", "profile:read");
                }),
            services =>
            {
                services.AddSingleton<TimeProvider>(_time);
                services.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => jwks)
                    .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
            },
            app => app.Use((context, next) =>
            {
                var remote = context.Request.Headers["X-Test-Remote-IP"].ToString();
                context.Connection.RemoteIpAddress = IPAddress.Parse(remote.Length > 0 ? remote : Stranger);
                return next(context);
            }));
        _client = _app.Client();

        var created = await _app.Services.GetRequiredService<ApiKeyManager>().CreateAsync(new ApiKeyCreateRequest
        {
            OwnerId = "partner-42",
            Scopes = ["profile:read"],
        });
        _apiKey = created.Key;
        _apiKeyId = created.Info.Id;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _signingKey.Dispose();
    }

    private string Token(string scope = "profile:read") =>
        JwtTestKit.SignRs(_signingKey, JwtTestKit.Header("k1"), JwtTestKit.Payload(_time.GetUtcNow(), claims => claims["scope"] = scope));

    private void AddCredential(HttpRequestMessage request, string scheme, bool valid = true)
    {
        switch (scheme)
        {
            case LayeredAuthSchemes.ApiKey:
                // The right id with another secret: well-formed, checksum valid, so it reaches the hash check.
                request.Headers.Add("X-API-Key", valid ? _apiKey : ApiKeyFormat.Create(ApiKeyFormat.DefaultPrefix, test: false, _apiKeyId));
                break;
            case LayeredAuthSchemes.Bearer:
                var token = Token();
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + (valid ? token : token[..^4] + "AAAA"));
                break;
            case LayeredAuthSchemes.ForwardAuth:
                request.Headers.Add("Remote-User", "alice");
                request.Headers.Add("Remote-Groups", "staff");
                request.Headers.Add("X-Test-Remote-IP", valid ? TrustedProxy : Stranger);
                request.Headers.Add(ForwardAuthAuthenticationDefaults.ProofHeaderName, ProxyProof);
                break;
        }
    }

    private Task<HttpResponseMessage> Send(string path, params string[] schemes)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var scheme in schemes)
        {
            AddCredential(request, scheme);
        }

        return _client.SendAsync(request);
    }

    private static async Task<string?> Error(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
    }

    private static string[] Challenges(HttpResponseMessage response) =>
        response.Headers.WwwAuthenticate.Select(h => h.Scheme).ToArray();

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task A_valid_credential_is_forwarded_to_its_scheme_alone(string scheme)
    {
        var response = await Send("/profile", scheme);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expectedSubject = scheme switch
        {
            LayeredAuthSchemes.ApiKey => "partner-42",
            LayeredAuthSchemes.Bearer => "svc-billing",
            _ => "alice",
        };
        Assert.Equal($"{scheme}:{expectedSubject}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task No_credential_is_challenged_by_every_scheme_in_order()
    {
        var response = await Send("/profile");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["ApiKey", "Bearer", "ForwardAuth"], Challenges(response));
        Assert.Equal("unauthorized", await Error(response));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task A_refused_credential_gets_401_problem_details(string scheme)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/profile");
        AddCredential(request, scheme, valid: false);
        var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(scheme, Challenges(response));
        var error = await Error(response);

        // Identity headers from an untrusted address are not a credential at all; the others are refused credentials.
        var expected = scheme switch
        {
            LayeredAuthSchemes.Bearer => "invalid_token",
            LayeredAuthSchemes.ApiKey => "invalid_credential",
            _ => "unauthorized",
        };
        Assert.Equal(expected, error);
        if (scheme == LayeredAuthSchemes.Bearer)
        {
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer" && h.Parameter!.Contains("error=\"invalid_token\"", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task A_missing_scope_is_403_whatever_the_scheme(string scheme)
    {
        var response = await Send("/admin", scheme);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("insufficient_scope", await Error(response));
        var challenge = response.Headers.WwwAuthenticate.SingleOrDefault();
        if (scheme == LayeredAuthSchemes.Bearer)
        {
            Assert.Equal(
                "Bearer error=\"insufficient_scope\", error_description=\"The token lacks a required scope.\", scope=\"admin:write\"",
                challenge?.ToString());
        }
        else
        {
            Assert.Null(challenge);
        }
    }

    [Theory]
    [MemberData(nameof(SchemePairs))]
    public async Task Two_kinds_of_credential_are_refused_with_400(string first, string second)
    {
        var response = await Send("/profile", first, second);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", await Error(response));
    }

    [Theory]
    [InlineData("/only-bearer", "Bearer")]
    [InlineData("/only-portal", "ForwardAuth")]
    [InlineData("/only-key", "ApiKey")]
    public async Task A_restricted_endpoint_answers_other_schemes_with_its_own_challenge_only(string path, string allowed)
    {
        foreach (var scheme in new[] { LayeredAuthSchemes.ApiKey, LayeredAuthSchemes.Bearer, LayeredAuthSchemes.ForwardAuth })
        {
            var response = await Send(path, scheme);
            if (scheme == allowed)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                continue;
            }

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal([allowed], Challenges(response));
        }
    }

    public static TheoryData<string, string[]> AmbiguousRequests => new()
    {
        { "Bearer and ApiKey Authorization headers", ["Authorization", "Bearer {token}", "Authorization", "ApiKey {key}"] },
        { "Bearer and Basic Authorization headers", ["Authorization", "Bearer {token}", "Authorization", "Basic YTpi"] },
        { "two Bearer Authorization headers", ["Authorization", "Bearer {token}", "Authorization", "Bearer {token}"] },
        { "two Authorization headers of unknown schemes", ["Authorization", "Basic YTpi", "Authorization", "Digest x"] },
        { "a valid X-API-Key and a garbage Authorization: ApiKey", ["X-API-Key", "{key}", "Authorization", "ApiKey garbage"] },
        { "a garbage X-API-Key and a valid Authorization: ApiKey", ["X-API-Key", "garbage", "Authorization", "ApiKey {key}"] },
        { "two X-API-Key headers", ["X-API-Key", "{key}", "X-API-Key", "{key}"] },
        { "a valid X-API-Key and a valid bearer token", ["X-API-Key", "{key}", "Authorization", "Bearer {token}"] },
    };

    private Task<HttpResponseMessage> SendHeaders(string path, string[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        for (var i = 0; i < headers.Length; i += 2)
        {
            request.Headers.TryAddWithoutValidation(headers[i], headers[i + 1].Replace("{token}", Token(), StringComparison.Ordinal).Replace("{key}", _apiKey, StringComparison.Ordinal));
        }

        return _client.SendAsync(request);
    }

    [Theory]
    [MemberData(nameof(AmbiguousRequests))]
    public async Task Finding7_two_credentials_of_one_scheme_or_two_Authorization_headers_are_refused_with_400(string name, string[] headers)
    {
        var response = await SendHeaders("/profile", headers);

        Assert.True(HttpStatusCode.BadRequest == response.StatusCode, $"{name}: {response.StatusCode}");
        Assert.Equal("invalid_request", await Error(response));
        Assert.Empty(response.Headers.WwwAuthenticate);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(_apiKey, body, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AmbiguousRequests))]
    public async Task Mutant_an_anonymous_endpoint_ignores_two_credentials_and_answers_200(string name, string[] headers)
    {
        var response = await SendHeaders("/anon", headers);

        Assert.True(HttpStatusCode.OK == response.StatusCode, $"{name}: {response.StatusCode}");
        Assert.Equal("open:False", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(SchemePairs))]
    public async Task Mutant_an_anonymous_endpoint_ignores_two_kinds_of_credential_and_answers_200(string first, string second)
    {
        var response = await Send("/anon", first, second);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("open:False", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("X-API-Key", "{key}")]
    [InlineData("Authorization", "ApiKey {key}")]
    [InlineData("Authorization", "Bearer {token}")]
    public async Task One_credential_in_one_header_is_still_forwarded(string header, string value)
    {
        var response = await SendHeaders("/profile", [header, value]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
