using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tests.Jwt;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.Layered;

/// <summary>
/// Every 400, 401, 403 and 503 body goes through the application's <c>IProblemDetailsService</c> when one is
/// registered (its <c>CustomizeProblemDetails</c> reaches them all), and each scheme's challenge and forbidden events
/// can replace the answer with <c>HandleResponse()</c>.
/// </summary>
public sealed class ProblemDetailsAndEventsTests : IAsyncLifetime
{
    private const string TrustedProxy = "10.0.0.7";
    private const string ProxyProof = "events-proxy-proof-0123456789abcdef012345";

    // Names the event that should answer this request itself; no header, no event answers.
    private const string HandleHeader = "X-Test-Handle";

    private readonly RSA _signingKey = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(JwtTestKit.Start);
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private string _apiKey = null!;
    private string _apiKeyId = null!;

    public static TheoryData<string> Schemes => [LayeredAuthSchemes.ApiKey, LayeredAuthSchemes.Bearer, LayeredAuthSchemes.ForwardAuth];

    public async Task InitializeAsync()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(_signingKey, "k1")));
        _app = await LayeredTestHost.StartAsync(
            app =>
            {
                app.MapGet("/profile", () => "ok").RequireScope("profile:read");
                app.MapGet("/admin", () => "admin").RequireScope("admin:write");
                app.MapPost("/profile", () => "posted").RequireScope("profile:read");
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
                services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
                    context.ProblemDetails.Extensions["service"] = "orders-api");

                services.Configure<ApiKeyAuthenticationOptions>(LayeredAuthSchemes.ApiKey, options =>
                {
                    options.Events.OnChallenge = context => Answer(context.HttpContext, "ApiKey.Challenge", context.HandleResponse);
                    options.Events.OnForbidden = context => Answer(context.HttpContext, "ApiKey.Forbidden", context.HandleResponse);
                });
                services.Configure<ForwardAuthAuthenticationOptions>(LayeredAuthSchemes.ForwardAuth, options =>
                {
                    options.Events.OnChallenge = context => Answer(context.HttpContext, "ForwardAuth.Challenge", context.HandleResponse);
                    options.Events.OnForbidden = context => Answer(context.HttpContext, "ForwardAuth.Forbidden", context.HandleResponse);
                });
                services.Configure<LayeredAuthOptions>(LayeredAuthSchemes.Layered, options =>
                {
                    options.Events.OnChallenge = context => Answer(context.HttpContext, "Layered.Challenge", context.HandleResponse);
                    options.Events.OnForbidden = context => Answer(context.HttpContext, "Layered.Forbidden", context.HandleResponse);
                });
                services.Configure<JwtBearerOptions>(LayeredAuthSchemes.Bearer, options =>
                {
                    options.Events ??= new JwtBearerEvents();
                    options.Events.OnChallenge = context => Answer(context.HttpContext, "Bearer.Challenge", context.HandleResponse);
                });
            },
            app => app.Use((context, next) =>
            {
                var remote = context.Request.Headers["X-Test-Remote-IP"].ToString();
                context.Connection.RemoteIpAddress = IPAddress.Parse(remote.Length > 0 ? remote : "198.51.100.9");
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

    private static async Task Answer(HttpContext context, string eventName, Action handleResponse)
    {
        if (!string.Equals(context.Request.Headers[HandleHeader], eventName, StringComparison.Ordinal))
        {
            return;
        }

        context.Response.StatusCode = StatusCodes.Status418ImATeapot;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync("answered by " + eventName);
        handleResponse();
    }

    private HttpRequestMessage Request(string path, string? scheme, bool valid = true, string? handle = null, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (handle is not null)
        {
            request.Headers.Add(HandleHeader, handle);
        }

        switch (scheme)
        {
            case LayeredAuthSchemes.ApiKey:
                request.Headers.Add("X-API-Key", valid ? _apiKey : ApiKeyFormat.Create(ApiKeyFormat.DefaultPrefix, test: false, _apiKeyId));
                break;
            case LayeredAuthSchemes.Bearer:
                var token = JwtTestKit.SignRs(_signingKey, JwtTestKit.Header("k1"), JwtTestKit.Payload(_time.GetUtcNow(), claims => claims["scope"] = "profile:read"));
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + (valid ? token : token[..^4] + "AAAA"));
                break;
            case LayeredAuthSchemes.ForwardAuth:
                request.Headers.Add("Remote-User", "alice");
                request.Headers.Add("Remote-Groups", "staff");
                request.Headers.Add("X-Test-Remote-IP", TrustedProxy);
                request.Headers.Add(ForwardAuthAuthenticationDefaults.ProofHeaderName, ProxyProof);
                break;
        }

        return request;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static async Task AssertCustomized(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await Problem(response);
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.Equal("https://authpatterns.dev/errors/" + error.Replace('_', '-'), body.GetProperty("type").GetString());
        Assert.Equal("orders-api", body.GetProperty("service").GetString());
        Assert.True(body.TryGetProperty("traceId", out _));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    private static async Task AssertAnsweredBy(HttpResponseMessage response, string eventName)
    {
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("answered by " + eventName, await response.Content.ReadAsStringAsync());
        Assert.Empty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task CustomizeProblemDetails_reaches_the_401_for_no_credential_with_every_challenge_kept()
    {
        var response = await _client.SendAsync(Request("/profile", scheme: null));
        await AssertCustomized(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(["ApiKey", "Bearer", "ForwardAuth"], response.Headers.WwwAuthenticate.Select(h => h.Scheme));
        var body = await Problem(response);
        Assert.Equal(["ApiKey", "Bearer", "ForwardAuth"], body.GetProperty("acceptedSchemes").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData(LayeredAuthSchemes.ApiKey, "invalid_credential")]
    [InlineData(LayeredAuthSchemes.Bearer, "invalid_token")]
    public async Task CustomizeProblemDetails_reaches_the_401_for_a_refused_credential(string scheme, string error)
    {
        var response = await _client.SendAsync(Request("/profile", scheme, valid: false));
        await AssertCustomized(response, HttpStatusCode.Unauthorized, error);
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task CustomizeProblemDetails_reaches_the_403_for_a_missing_scope_with_the_scopes_kept(string scheme)
    {
        var response = await _client.SendAsync(Request("/admin", scheme));
        await AssertCustomized(response, HttpStatusCode.Forbidden, "insufficient_scope");
        var body = await Problem(response);
        Assert.Equal(["admin:write"], body.GetProperty("requiredScopes").EnumerateArray().Select(e => e.GetString()));
        if (scheme == LayeredAuthSchemes.Bearer)
        {
            Assert.Contains("error=\"insufficient_scope\"", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CustomizeProblemDetails_reaches_the_400_for_two_credentials()
    {
        var request = Request("/profile", LayeredAuthSchemes.ApiKey);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer abc.def.ghi");
        var response = await _client.SendAsync(request);
        await AssertCustomized(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task CustomizeProblemDetails_reaches_the_400_for_a_key_in_the_query_string()
    {
        var response = await _client.SendAsync(Request("/profile?api_key=" + Uri.EscapeDataString(_apiKey), scheme: null));
        await AssertCustomized(response, HttpStatusCode.BadRequest, "api_key_in_query");
        Assert.DoesNotContain(_apiKey, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CustomizeProblemDetails_reaches_the_forward_auth_403_for_a_missing_CSRF_defence()
    {
        var response = await _client.SendAsync(Request("/profile", LayeredAuthSchemes.ForwardAuth, method: HttpMethod.Post));
        await AssertCustomized(response, HttpStatusCode.Forbidden, "csrf_required");
    }

    [Fact]
    public async Task A_client_that_accepts_no_JSON_still_gets_the_customized_problem_body()
    {
        var request = Request("/profile", scheme: null);
        request.Headers.Accept.ParseAdd("text/plain");
        var response = await _client.SendAsync(request);
        await AssertCustomized(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task ApiKey_OnChallenge_HandleResponse_replaces_the_answer()
    {
        var response = await _client.SendAsync(Request("/profile", LayeredAuthSchemes.ApiKey, valid: false, handle: "ApiKey.Challenge"));
        await AssertAnsweredBy(response, "ApiKey.Challenge");
    }

    [Fact]
    public async Task ApiKey_OnForbidden_HandleResponse_replaces_the_403()
    {
        var response = await _client.SendAsync(Request("/admin", LayeredAuthSchemes.ApiKey, handle: "ApiKey.Forbidden"));
        await AssertAnsweredBy(response, "ApiKey.Forbidden");
    }

    [Fact]
    public async Task ForwardAuth_OnChallenge_HandleResponse_replaces_the_CSRF_403()
    {
        var response = await _client.SendAsync(Request("/profile", LayeredAuthSchemes.ForwardAuth, handle: "ForwardAuth.Challenge", method: HttpMethod.Post));
        await AssertAnsweredBy(response, "ForwardAuth.Challenge");
    }

    [Fact]
    public async Task ForwardAuth_OnChallenge_HandleResponse_replaces_the_401_when_it_is_asked_first()
    {
        // No credential: every scheme is asked in turn, so the first one that answers ends it (ApiKey, then Bearer, then ForwardAuth).
        var response = await _client.SendAsync(Request("/profile", scheme: null, handle: "ForwardAuth.Challenge"));
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("answered by ForwardAuth.Challenge", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ForwardAuth_OnForbidden_HandleResponse_replaces_the_403()
    {
        var response = await _client.SendAsync(Request("/admin", LayeredAuthSchemes.ForwardAuth, handle: "ForwardAuth.Forbidden"));
        await AssertAnsweredBy(response, "ForwardAuth.Forbidden");
    }

    [Fact]
    public async Task Bearer_OnChallenge_HandleResponse_is_respected_by_the_layered_body()
    {
        var response = await _client.SendAsync(Request("/profile", LayeredAuthSchemes.Bearer, valid: false, handle: "Bearer.Challenge"));
        await AssertAnsweredBy(response, "Bearer.Challenge");
    }

    [Theory]
    [InlineData(null)]
    [InlineData(LayeredAuthSchemes.ApiKey)]
    public async Task Layered_OnChallenge_HandleResponse_replaces_the_401_body(string? scheme)
    {
        var response = await _client.SendAsync(Request("/profile", scheme, valid: false, handle: "Layered.Challenge"));
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("answered by Layered.Challenge", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Layered_OnChallenge_HandleResponse_replaces_the_400_for_two_credentials()
    {
        var request = Request("/profile", LayeredAuthSchemes.ApiKey, handle: "Layered.Challenge");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer abc.def.ghi");
        var response = await _client.SendAsync(request);
        await AssertAnsweredBy(response, "Layered.Challenge");
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task Layered_OnForbidden_HandleResponse_replaces_the_403_body(string scheme)
    {
        var response = await _client.SendAsync(Request("/admin", scheme, handle: "Layered.Forbidden"));
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("answered by Layered.Forbidden", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_event_that_does_not_call_HandleResponse_leaves_the_default_answer()
    {
        var response = await _client.SendAsync(Request("/profile", LayeredAuthSchemes.ApiKey, valid: false, handle: "nobody"));
        await AssertCustomized(response, HttpStatusCode.Unauthorized, "invalid_credential");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey");
    }
}
