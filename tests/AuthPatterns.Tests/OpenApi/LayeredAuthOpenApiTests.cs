using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tests.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Authorization;

namespace AuthPatterns.Tests.OpenApi;

/// <summary>
/// <c>AddOpenApi(o => o.AddLayeredAuthSecuritySchemes())</c>, read from the generated <c>/openapi/v1.json</c>: the three
/// security schemes, and per operation the accepted schemes, the required scopes and the 401/403 answers.
/// </summary>
public sealed class LayeredAuthOpenApiTests : IAsyncLifetime
{
    private readonly RSA _signingKey = RSA.Create(2048);
    private WebApplication _app = null!;
    private JsonElement _document;

    public async Task InitializeAsync()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(_signingKey, "k1")));
        _app = await LayeredTestHost.StartAsync(
            app =>
            {
                app.MapOpenApi();
                app.MapGet("/profile", () => "ok").RequireScope("profile:read");
                app.MapPost("/orders", () => "ok").RequireScope("orders:write", "orders:read");
                app.MapGet("/reports", () => "ok").RequireAnyScope("reports:read", "reports:admin");
                app.MapPost("/webhooks", () => "ok").RequireScope("events:write").AllowSchemes(LayeredAuthSchemes.ApiKey);
                app.MapGet("/signed-in", () => "ok").RequireAuthorization();
                app.MapGet("/configured", () => "ok").RequireScopeFromConfiguration("Api:Scopes");
                app.MapGet("/public", () => "ok");
                app.MapGet("/anonymous", () => "ok").RequireScope("profile:read").AllowAnonymous();
            },
            layered => layered
                .AddApiKeys(options =>
                {
                    ApiKeyTestApp.Cheap(options);
                    options.HeaderName = "X-Partner-Key";
                })
                .AddJwt(options =>
                {
                    options.JwksUri = JwtTestKit.JwksUri;
                    options.Issuer = JwtTestKit.Issuer;
                    options.Audience = JwtTestKit.Audience;
                })
                .AddForwardAuth(options => options.UseAuthelia(new Uri("https://auth.example.com")).AllowedHosts.Add("api.example.com")),
            services =>
            {
                services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
                    .AddInMemoryCollection(new Dictionary<string, string?> { ["Api:Scopes"] = "config:read config:write" })
                    .Build());
                services.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => jwks)
                    .SetHandlerLifetime(Timeout.InfiniteTimeSpan);

                // Twice on purpose: a second call must not duplicate anything.
                services.AddOpenApi(options => options.AddLayeredAuthSecuritySchemes().AddLayeredAuthSecuritySchemes());
            });

        var response = await _app.Client().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        _document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _signingKey.Dispose();
    }

    private JsonElement Operation(string path, string method) => _document.GetProperty("paths").GetProperty(path).GetProperty(method);

    /// <summary>Each security requirement as "Scheme: scope scope".</summary>
    private List<string> Requirements(string path, string method)
    {
        var operation = Operation(path, method);
        if (!operation.TryGetProperty("security", out var security))
        {
            return [];
        }

        return security.EnumerateArray()
            .SelectMany(requirement => requirement.EnumerateObject())
            .Select(p => string.Join(' ', [p.Name + (p.Value.GetArrayLength() > 0 ? ":" : ""), .. p.Value.EnumerateArray().Select(s => s.GetString())]))
            .ToList();
    }

    private IEnumerable<string> Responses(string path, string method) =>
        Operation(path, method).GetProperty("responses").EnumerateObject().Select(p => p.Name);

    [Fact]
    public void The_document_declares_the_three_security_schemes_from_the_schemes_options()
    {
        var schemes = _document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal(["ApiKey", "Bearer", "ForwardAuth"], schemes.EnumerateObject().Select(p => p.Name).Order());

        var apiKey = schemes.GetProperty("ApiKey");
        Assert.Equal("apiKey", apiKey.GetProperty("type").GetString());
        Assert.Equal("header", apiKey.GetProperty("in").GetString());
        Assert.Equal("X-Partner-Key", apiKey.GetProperty("name").GetString());

        var bearer = schemes.GetProperty("Bearer");
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        Assert.Equal("JWT", bearer.GetProperty("bearerFormat").GetString());

        var portal = schemes.GetProperty("ForwardAuth");
        Assert.Equal("apiKey", portal.GetProperty("type").GetString());
        Assert.Equal("cookie", portal.GetProperty("in").GetString());
        Assert.Equal("authelia_session", portal.GetProperty("name").GetString());
    }

    [Fact]
    public void An_operation_accepts_each_layered_scheme_with_its_required_scope()
    {
        Assert.Equal(["ApiKey: profile:read", "Bearer: profile:read", "ForwardAuth: profile:read"], Requirements("/profile", "get"));
        Assert.Equal(["200", "401", "403"], Responses("/profile", "get").Order());
        var unauthorized = Operation("/profile", "get").GetProperty("responses").GetProperty("401");
        Assert.True(unauthorized.GetProperty("content").TryGetProperty("application/problem+json", out _));
    }

    [Fact]
    public void All_of_scopes_are_listed_together()
    {
        Assert.Contains("Bearer: orders:write orders:read", Requirements("/orders", "post"));
        Assert.Equal(3, Requirements("/orders", "post").Count);
    }

    [Fact]
    public void Any_of_scopes_become_one_requirement_per_scope()
    {
        var requirements = Requirements("/reports", "get");
        Assert.Contains("ApiKey: reports:read", requirements);
        Assert.Contains("ApiKey: reports:admin", requirements);
        Assert.Contains("ForwardAuth: reports:admin", requirements);
        Assert.Equal(6, requirements.Count);
    }

    [Fact]
    public void AllowSchemes_limits_the_operation_to_its_schemes()
    {
        Assert.Equal(["ApiKey: events:write"], Requirements("/webhooks", "post"));
    }

    [Fact]
    public void Authentication_without_a_scope_lists_the_schemes_and_only_a_401()
    {
        Assert.Equal(["ApiKey", "Bearer", "ForwardAuth"], Requirements("/signed-in", "get"));
        Assert.DoesNotContain("403", Responses("/signed-in", "get"));
        Assert.Contains("401", Responses("/signed-in", "get"));
    }

    [Fact]
    public void Scopes_from_configuration_appear_as_configured()
    {
        Assert.Contains("Bearer: config:read config:write", Requirements("/configured", "get"));
    }

    [Theory]
    [InlineData("/public")]
    [InlineData("/anonymous")]
    public void Open_operations_carry_no_security_and_no_401(string path)
    {
        Assert.Empty(Requirements(path, "get"));
        Assert.DoesNotContain("401", Responses(path, "get"));
    }
}

/// <summary>A fallback policy protects endpoints that say nothing; the document says so too.</summary>
public sealed class LayeredAuthOpenApiFallbackPolicyTests
{
    [Fact]
    public async Task An_endpoint_protected_only_by_the_fallback_policy_lists_the_schemes()
    {
        await using var app = await LayeredTestHost.StartAsync(
            app =>
            {
                app.MapOpenApi().AllowAnonymous();
                app.MapGet("/quiet", () => "ok");
            },
            layered => layered.AddApiKeys(ApiKeyTestApp.Cheap),
            services =>
            {
                services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder(LayeredAuthSchemes.Layered).RequireAuthenticatedUser().Build());
                services.AddOpenApi(options => options.AddLayeredAuthSecuritySchemes());
            });

        var document = JsonDocument.Parse(await app.Client().GetStringAsync("/openapi/v1.json")).RootElement;
        var security = document.GetProperty("paths").GetProperty("/quiet").GetProperty("get").GetProperty("security");
        Assert.Equal("ApiKey", security.EnumerateArray().Single().EnumerateObject().Single().Name);
        Assert.False(document.GetProperty("paths").TryGetProperty("/openapi/v1.json", out _));
    }
}
