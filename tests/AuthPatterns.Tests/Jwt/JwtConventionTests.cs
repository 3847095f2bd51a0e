using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Jwt;

/// <summary>
/// Several issuers and audiences, <c>Authentication:Schemes:Bearer</c>, the <c>access_token</c> query parameter only where
/// an endpoint opts in, and app roles mapped to scopes.
/// </summary>
public sealed class JwtConventionTests : IDisposable
{
    private const string SecondIssuer = "https://login.example.com/tenant-1/v2.0";
    private const string SecondAudience = "api://orders";

    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _key.Dispose();

    private string Token(Action<Dictionary<string, object>>? change = null) =>
        SignRs(_key, Header(), Payload(_time.GetUtcNow(), change));

    private FakeJwksHandler Jwks() => new(JwtTestKit.Jwks(Jwk(_key, "k1")));

    private Task<WebApplication> StartAsync(Action<JwtAuthenticationOptions>? configure = null, LogCapture? logs = null) =>
        StartHostAsync(
            Jwks(),
            _time,
            configure,
            services: s =>
            {
                if (logs is not null)
                {
                    s.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
                }
            },
            map: app =>
            {
                app.MapGet("/hub/negotiate", (ClaimsPrincipal user) => user.FindFirst("sub")?.Value).RequireAuthorization().AllowAccessTokenFromQuery();
                var group = app.MapGroup("/streams").AllowAccessTokenFromQuery();
                group.MapGet("/events", (ClaimsPrincipal user) => user.FindFirst("sub")?.Value).RequireScope("reports:read");
            });

    /// <summary>A host configured only from configuration, as an application's appsettings would.</summary>
    private async Task<WebApplication> StartFromConfigurationAsync(Dictionary<string, string?> settings, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddLayeredAuth(builder.Configuration.GetSection("LayeredAuth")).AddJwt();
        var jwks = Jwks();
        builder.Services.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => jwks)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        var app = builder.Build();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/reports", () => "reports").RequireScope("reports:read");
        map?.Invoke(app);
        await app.StartAsync();
        return app;
    }

    private static Dictionary<string, string?> JwtSettings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LayeredAuth:Jwt:JwksUri"] = JwksUri.ToString(),
            ["LayeredAuth:Jwt:Issuer"] = Issuer,
            ["LayeredAuth:Jwt:Audience"] = Audience,
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    // Several issuers and audiences.

    [Fact]
    public async Task A_token_from_any_listed_issuer_is_accepted_and_one_from_an_unlisted_issuer_among_several_is_refused()
    {
        await using var app = await StartAsync(o => o.ValidIssuers.Add(SecondIssuer));
        var client = app.Client();

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get("/reports", Token()))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get("/reports", Token(c => c["iss"] = SecondIssuer)))).StatusCode);

        // Near misses of a listed issuer: another tenant, a trailing slash, another case.
        foreach (var wrong in new[] { "https://login.example.com/tenant-2/v2.0", SecondIssuer + "/", SecondIssuer.ToUpperInvariant() })
        {
            var refused = await client.SendAsync(Get("/reports", Token(c => c["iss"] = wrong)));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_token_for_any_listed_audience_is_accepted_and_one_for_another_audience_among_several_is_refused()
    {
        await using var app = await StartAsync(o => o.ValidAudiences.Add(SecondAudience));
        var client = app.Client();

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get("/reports", Token(c => c["aud"] = SecondAudience)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get("/reports", Token(c => c["aud"] = new[] { "other-api", SecondAudience })))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Get("/reports", Token(c => c["aud"] = "api://orders/")))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Get("/reports", Token(c => c["aud"] = new[] { "other-api", "billing-api" })))).StatusCode);
    }

    [Fact]
    public async Task Issuers_and_audiences_bind_from_configuration_without_the_single_options()
    {
        await using var app = await StartFromConfigurationAsync(new Dictionary<string, string?>
        {
            ["LayeredAuth:Jwt:JwksUri"] = JwksUri.ToString(),
            ["LayeredAuth:Jwt:ValidIssuers:0"] = Issuer,
            ["LayeredAuth:Jwt:ValidIssuers:1"] = SecondIssuer,
            ["LayeredAuth:Jwt:ValidAudiences:0"] = Audience,
            ["LayeredAuth:Jwt:ValidAudiences:1"] = SecondAudience,
        });
        var client = app.Client();

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get("/reports", Token(c => { c["iss"] = SecondIssuer; c["aud"] = SecondAudience; })))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Get("/reports", Token()))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Get("/reports", Token(c => c["iss"] = "https://evil.test")))).StatusCode);
    }

    [Theory]
    [InlineData("LayeredAuth:Jwt:ValidIssuers:1", "")]
    [InlineData("LayeredAuth:Jwt:ValidIssuers:1", " https://issuer.test")]
    [InlineData("LayeredAuth:Jwt:ValidAudiences:1", " ")]
    public async Task A_blank_or_padded_issuer_or_audience_entry_fails_startup_naming_the_entry(string key, string value)
    {
        var settings = JwtSettings(
            ("LayeredAuth:Jwt:ValidIssuers:0", SecondIssuer),
            ("LayeredAuth:Jwt:ValidAudiences:0", SecondAudience),
            (key, value));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartFromConfigurationAsync(settings));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_issuer_and_no_audience_name_both_ways_to_set_them()
    {
        var options = new JwtAuthenticationOptions { JwksUri = JwksUri, Audience = Audience };
        Assert.Contains("LayeredAuth:Jwt:ValidIssuers", Assert.Throws<InvalidOperationException>(options.Validate).Message, StringComparison.Ordinal);
        options = new JwtAuthenticationOptions { JwksUri = JwksUri, Issuer = Issuer };
        Assert.Contains("LayeredAuth:Jwt:ValidAudiences", Assert.Throws<InvalidOperationException>(options.Validate).Message, StringComparison.Ordinal);
    }

    // Authentication:Schemes:Bearer (dotnet user-jwts).

    [Fact]
    public async Task The_user_jwts_section_fails_startup_saying_to_use_authpatterns_token_mint()
    {
        var settings = JwtSettings(
            ("Authentication:Schemes:Bearer:ValidAudiences:0", "http://localhost:5000"),
            ("Authentication:Schemes:Bearer:ValidIssuer", "dotnet-user-jwts"));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartFromConfigurationAsync(settings));
        Assert.Contains("Authentication:Schemes:Bearer", error.Message, StringComparison.Ordinal);
        Assert.Contains("authpatterns token mint", error.Message, StringComparison.Ordinal);
        Assert.Contains("LayeredAuth:Jwt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_scheme_section_under_Authentication_Schemes_does_not_fail_startup()
    {
        await using var app = await StartFromConfigurationAsync(JwtSettings(("Authentication:Schemes:Partner:ValidIssuer", "partner")));
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/reports", Token()))).StatusCode);
    }

    // The access_token query parameter.

    [Fact]
    public async Task A_query_token_is_accepted_on_an_endpoint_and_a_group_that_opt_in()
    {
        await using var app = await StartAsync();
        var client = app.Client();

        var hub = await client.GetAsync("/hub/negotiate?access_token=" + Token());
        Assert.Equal(HttpStatusCode.OK, hub.StatusCode);
        Assert.Equal("svc-billing", await hub.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/streams/events?access_token=" + Token())).StatusCode);
    }

    [Fact]
    public async Task A_query_token_on_an_endpoint_that_did_not_opt_in_is_ignored_and_never_logged()
    {
        var logs = new LogCapture();
        await using var app = await StartAsync(logs: logs);
        var token = Token();

        var response = await app.Client().GetAsync("/reports?access_token=" + token);

        // Ignored: the request is as if it carried no credential (401 naming no refused token), and the endpoint's
        // scope never sees the token's identity.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unauthorized", problem.GetProperty("error").GetString());
        Assert.DoesNotContain("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Single(logs.Entries, e => e.EventId == 3030);

        // Only the host's own request line carries the query string; nothing of ours, nor the authentication stack's.
        var ours = logs.Entries.Where(e => e.Category != "Microsoft.AspNetCore.Hosting.Diagnostics").Select(e => $"{e.Message} {string.Join(";", e.Values)} {e.Exception}");
        Assert.DoesNotContain(ours, line => line.Contains(token[^20..], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_query_token_next_to_a_header_token_on_an_opted_in_endpoint_is_refused_as_ambiguous()
    {
        await using var app = await StartAsync();
        var response = await app.Client().SendAsync(Get("/hub/negotiate?access_token=" + Token(), Token()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var twice = await app.Client().GetAsync("/hub/negotiate?access_token=" + Token() + "&access_token=" + Token());
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
    }

    [Fact]
    public async Task A_query_token_next_to_a_header_token_on_an_endpoint_that_did_not_opt_in_uses_the_header_only()
    {
        await using var app = await StartAsync();
        var forged = Token(c => c["sub"] = "someone-else");
        var response = await app.Client().SendAsync(Get("/api/ping?access_token=" + forged, Token()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("svc-billing", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sub").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    public async Task A_bad_or_empty_query_token_on_an_opted_in_endpoint_is_refused_as_invalid(string token)
    {
        await using var app = await StartAsync();
        var response = await app.Client().GetAsync("/hub/negotiate?access_token=" + token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_token_from_an_unlisted_issuer_is_refused_on_an_opted_in_endpoint()
    {
        await using var app = await StartAsync(o => o.ValidIssuers.Add(SecondIssuer));
        var response = await app.Client().GetAsync("/hub/negotiate?access_token=" + Token(c => c["iss"] = "https://evil.test"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_WebSocket_that_opts_in_authenticates_by_its_query_token_and_refuses_the_handshake_without_one()
    {
        await using var app = await StartFromConfigurationAsync(JwtSettings(), a =>
            a.Map("/ws", async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var sub = Encoding.UTF8.GetBytes(context.User.FindFirst("sub")?.Value ?? "");
                await socket.SendAsync(sub, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }).RequireScope("reports:read").AllowAccessTokenFromQuery());
        var server = app.GetTestServer();

        using var socket = await server.CreateWebSocketClient().ConnectAsync(new Uri(server.BaseAddress, "ws?access_token=" + Token()), CancellationToken.None);
        var buffer = new byte[64];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("svc-billing", Encoding.UTF8.GetString(buffer, 0, received.Count));

        await Assert.ThrowsAnyAsync<Exception>(() => server.CreateWebSocketClient().ConnectAsync(new Uri(server.BaseAddress, "ws"), CancellationToken.None));
        await Assert.ThrowsAnyAsync<Exception>(() => server.CreateWebSocketClient().ConnectAsync(
            new Uri(server.BaseAddress, "ws?access_token=" + Token(c => c["aud"] = "other-api")), CancellationToken.None));
    }

    // App roles to scopes.

    [Fact]
    public async Task A_mapped_app_role_grants_its_scopes()
    {
        await using var app = await StartAsync(o => o.MapRole("Reports.Read", "reports:read"));
        var response = await app.Client().SendAsync(Get("/api/ping", Token(c => { c.Remove("scope"); c["roles"] = new[] { "Reports.Read", "Other.Role" }; })));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["reports:read"], (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/reports", Token(c => { c.Remove("scope"); c["roles"] = "Reports.Read"; })))).StatusCode);
    }

    [Theory]
    [InlineData("Other.Role")]
    [InlineData("reports.read")]
    [InlineData("Reports.Read ")]
    [InlineData("reports:read")]
    public async Task An_unmapped_role_grants_no_scope(string role)
    {
        await using var app = await StartAsync(o => o.MapRole("Reports.Read", "reports:read"));
        var response = await app.Client().SendAsync(Get("/reports", Token(c => { c.Remove("scope"); c["roles"] = new[] { role }; })));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Role_scopes_bind_from_configuration_and_an_invalid_scope_fails_startup_naming_the_role()
    {
        await using (var app = await StartFromConfigurationAsync(JwtSettings(("LayeredAuth:Jwt:RoleScopes:Reports.Read", "reports:read orders:read"))))
        {
            var response = await app.Client().SendAsync(Get("/reports", Token(c => { c.Remove("scope"); c["roles"] = new[] { "Reports.Read" }; })));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StartFromConfigurationAsync(JwtSettings(("LayeredAuth:Jwt:RoleScopes:Reports.Read", "reports:read bad\"scope"))));
        Assert.Contains("LayeredAuth:Jwt:RoleScopes:Reports.Read", error.Message, StringComparison.Ordinal);
    }
}
