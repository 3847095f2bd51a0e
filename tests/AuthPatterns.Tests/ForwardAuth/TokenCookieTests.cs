using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>The token-cookie variant, validated by a stock JwtBearer registration standing in for the bearer scheme.</summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class TokenCookieTests
{
    private static readonly SymmetricSecurityKey Key = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private static Task<ForwardAuthTestApp> Start() =>
        ForwardAuthTestApp.StartAsync(
            o => o.TokenCookieName = "__Host-access_token",
            layered => layered.Authentication.AddJwtBearer(LayeredAuthSchemes.Bearer, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = "https://issuer.test",
                    ValidAudience = "orders-api",
                    IssuerSigningKey = Key,
                    ClockSkew = TimeSpan.Zero,
                };
            }));

    private static string Token(string subject = "carol", DateTime? expires = null, SecurityKey? key = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.test",
            Audience = "orders-api",
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("scope", "orders:read orders:write")]),
            NotBefore = DateTime.UtcNow.AddMinutes(-5),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(key ?? Key, SecurityAlgorithms.HmacSha256),
        });

    [Fact]
    public async Task Valid_token_in_the_cookie_is_validated_by_the_bearer_scheme()
    {
        await using var app = await Start();

        var response = await app.GetAsync("/app/dashboard", $"__Host-access_token={Token()}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("carol", body.GetProperty("sub").GetString());
        Assert.Equal("ForwardAuth", body.GetProperty("authenticationType").GetString());
        Assert.Equal(["orders:read", "orders:write"], body.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public async Task Request_headers_are_restored_after_the_bearer_scheme_has_seen_the_token()
    {
        await using var app = await Start();

        var response = await app.GetAsync("/public/echo", $"__Host-access_token={Token()}");

        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(body.GetProperty("authenticated").GetBoolean());
        Assert.Equal(string.Empty, body.GetProperty("authorization").GetString());
    }

    [Fact]
    public async Task Expired_forged_or_malformed_tokens_are_refused()
    {
        await using var app = await Start();
        var otherKey = new SymmetricSecurityKey(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());

        foreach (var token in new[]
        {
            Token(expires: DateTime.UtcNow.AddMinutes(-1)),
            Token(key: otherKey),
            "not-a-jwt",
            Token() + "\r\nX-Injected: 1",
        })
        {
            var response = await app.GetAsync("/app/dashboard", $"__Host-access_token={Uri.EscapeDataString(token)}");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task Unsafe_request_with_the_token_cookie_needs_the_CSRF_defence()
    {
        await using var app = await Start();
        var cookie = $"__Host-access_token={Token()}";

        Assert.Equal(HttpStatusCode.Forbidden, (await app.SendAsync(HttpMethod.Post, "/app/orders", cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(HttpMethod.Post, "/app/orders", cookie, headers: ("X-CSRF", "1"))).StatusCode);
    }

    [Fact]
    public void Cookie_writer_sets_host_prefix_attributes_and_a_max_age_bounded_by_the_token_expiry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddSingleton<TimeProvider>(time).BuildServiceProvider() };

        context.Response.AppendAccessTokenCookie("eyJ.abc.def", time.GetUtcNow().AddSeconds(299.7));

        var header = context.Response.Headers.SetCookie.ToString();
        Assert.StartsWith("__Host-access_token=eyJ.abc.def;", header, StringComparison.Ordinal);
        Assert.Contains("max-age=299", header, StringComparison.Ordinal);
        Assert.Contains("path=/", header, StringComparison.Ordinal);
        Assert.Contains("secure", header, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", header, StringComparison.Ordinal);
        Assert.Contains("httponly", header, StringComparison.Ordinal);
        Assert.DoesNotContain("domain", header, StringComparison.OrdinalIgnoreCase);

        Assert.Throws<ArgumentException>(() => context.Response.AppendAccessTokenCookie("t", time.GetUtcNow().AddSeconds(-1)));
        Assert.Throws<ArgumentException>(() => context.Response.AppendAccessTokenCookie("t", time.GetUtcNow().AddMinutes(5), "access_token"));
    }
}
