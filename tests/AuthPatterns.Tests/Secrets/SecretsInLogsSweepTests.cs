using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tests.ForwardAuth;
using AuthPatterns.Tests.Jwt;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Tests.Secrets;

/// <summary>
/// Every scheme's success and failure paths with every log level on: no key, key secret, token, token signature or
/// cookie value used in the run appears in a log line, an exception, a response header or a response body.
/// </summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class SecretsInLogsSweepTests
{
    private readonly List<string> _secrets = [];
    private readonly List<string> _seen = [];

    private string Secret(string value)
    {
        _secrets.Add(value);
        return value;
    }

    private async Task<HttpStatusCode> RecordAsync(Task<HttpResponseMessage> sending)
    {
        using var response = await sending;
        _seen.Add(response.ToString());
        _seen.Add(string.Join("\n", response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(",", h.Value)}")));
        _seen.Add(await response.Content.ReadAsStringAsync());
        return response.StatusCode;
    }

    private void Token(string token)
    {
        Secret(token);
        Secret(token[(token.LastIndexOf('.') + 1)..]);
    }

    [Fact]
    public async Task Secrets_sweep_no_key_token_signature_or_cookie_reaches_a_log_exception_header_or_body()
    {
        var logs = new List<LogCapture>();

        // API keys: valid, wrong secret, bad checksum, expired, revoked, in the query string, in Authorization.
        await using (var keys = await ApiKeyTestApp.StartAsync())
        {
            logs.Add(keys.Logs);
            var valid = await keys.CreateKeyAsync();
            var expiring = await keys.CreateKeyAsync(lifetime: TimeSpan.FromMinutes(1));
            var revoked = await keys.CreateKeyAsync();
            foreach (var key in new[] { valid.Key, expiring.Key, revoked.Key })
            {
                Secret(key);
                Secret(key[(key.LastIndexOf('_') + 1)..]);
            }

            var guess = Secret(keys.Guess(valid.Info.Id));
            Secret(guess[(guess.LastIndexOf('_') + 1)..]);
            var badChecksum = Secret(valid.Key[..^1] + (valid.Key[^1] == 'A' ? 'B' : 'A'));

            Assert.Equal(HttpStatusCode.OK, await RecordAsync(keys.SendAsync("/me", valid.Key)));
            Assert.Equal(HttpStatusCode.OK, await RecordAsync(keys.SendAsync("/me", valid.Key, authorizationHeader: true)));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(keys.SendAsync("/me", guess)));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(keys.SendAsync("/me", badChecksum)));
            Assert.True(await keys.Manager.RevokeAsync(revoked.Info.Id, "sweep"));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(keys.SendAsync("/me", revoked.Key)));
            keys.Time.Advance(TimeSpan.FromMinutes(2));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(keys.SendAsync("/me", expiring.Key)));
            Assert.Equal(HttpStatusCode.BadRequest, await RecordAsync(keys.SendAsync("/ping?api_key=" + valid.Key, null)));
            Assert.Equal(HttpStatusCode.BadRequest, await RecordAsync(keys.SendAsync("/ping?utm=" + guess, null)));
        }

        // JWT: valid, forged (signed by another key), expired, insufficient scope.
        using var rsa = RSA.Create(2048);
        using var forger = RSA.Create(2048);
        var time = new FakeTimeProvider(JwtTestKit.Start);
        var jwtLogs = new LogCapture();
        logs.Add(jwtLogs);
        await using (var jwt = await JwtTestKit.StartHostAsync(
            new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(rsa, "k1"))),
            time,
            services: s => s.AddLogging(b => b.AddProvider(jwtLogs).SetMinimumLevel(LogLevel.Trace))))
        {
            var client = AuthPatterns.Tests.Layered.LayeredTestHost.Client(jwt);
            var now = time.GetUtcNow();
            var good = JwtTestKit.SignRs(rsa, JwtTestKit.Header(), JwtTestKit.Payload(now));
            var forged = JwtTestKit.SignRs(forger, JwtTestKit.Header(), JwtTestKit.Payload(now));
            var expired = JwtTestKit.SignRs(rsa, JwtTestKit.Header(), JwtTestKit.Payload(now.AddHours(-1)));
            Token(good);
            Token(forged);
            Token(expired);

            Assert.Equal(HttpStatusCode.OK, await RecordAsync(client.SendAsync(JwtTestKit.Get("/api/ping", good))));
            Assert.Equal(HttpStatusCode.Forbidden, await RecordAsync(client.SendAsync(JwtTestKit.Get("/admin", good))));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(client.SendAsync(JwtTestKit.Get("/api/ping", forged))));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(client.SendAsync(JwtTestKit.Get("/api/ping", expired))));
        }

        // Forward auth: a valid, a denied and an unknown session cookie, a CSRF refusal, sign-out, a portal outage.
        await using (var portal = await FakePortal.StartAsync())
        {
            var session = Secret("sweep-session-" + Guid.NewGuid().ToString("N"));
            var denied = Secret("sweep-denied-" + Guid.NewGuid().ToString("N"));
            var unknown = Secret("sweep-unknown-" + Guid.NewGuid().ToString("N"));
            portal.Add(session, new PortalUser("alice", "Alice", "alice@example.com", ["admins"]));
            portal.Add(denied, new PortalUser("mallory", "M", "m@example.com", [], Denied: true));
            await using var app = await ForwardAuthTestApp.StartAsync(o =>
            {
                o.UseAuthelia(portal.BaseUrl);
                o.AllowedHosts.Add("app.example.com");
                o.MapGroup("admins", "orders:write");
            });
            logs.Add(app.Logs);

            Assert.Equal(HttpStatusCode.OK, await RecordAsync(app.GetAsync("/app/dashboard", $"authelia_session={session}")));
            Assert.Equal(HttpStatusCode.Forbidden, await RecordAsync(app.SendAsync(HttpMethod.Post, "/app/orders", $"authelia_session={session}")));
            Assert.Equal(HttpStatusCode.Forbidden, await RecordAsync(app.GetAsync("/app/dashboard", $"authelia_session={denied}")));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(app.GetAsync("/app/dashboard", $"authelia_session={unknown}")));
            Assert.Equal(HttpStatusCode.Found, await RecordAsync(app.GetAsync("/app/dashboard", $"authelia_session={unknown}", "text/html")));
            Assert.Equal(HttpStatusCode.Redirect, await RecordAsync(app.GetAsync("/signout", $"authelia_session={session}")));
            portal.ForcedStatus = 500;

            // Another session: the portal's "not signed in" answer for the first is reused for a few seconds.
            var unasked = Secret("sweep-unasked-" + Guid.NewGuid().ToString("N"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await RecordAsync(app.GetAsync("/app/dashboard", $"authelia_session={unasked}")));
        }

        // Token cookie: valid, expired, forged.
        var signing = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));
        await using (var app = await ForwardAuthTestApp.StartAsync(
            o => o.TokenCookieName = "__Host-access_token",
            layered => layered.Authentication.AddJwtBearer(LayeredAuthSchemes.Bearer, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = "https://issuer.test",
                    ValidAudience = "orders-api",
                    IssuerSigningKey = signing,
                    ClockSkew = TimeSpan.Zero,
                };
            })))
        {
            logs.Add(app.Logs);
            string CookieToken(DateTime expires, SecurityKey key) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = "https://issuer.test",
                Audience = "orders-api",
                Subject = new ClaimsIdentity([new Claim("sub", "carol"), new Claim("scope", "orders:read")]),
                NotBefore = expires.AddMinutes(-10),
                IssuedAt = expires.AddMinutes(-10),
                Expires = expires,
                SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
            });
            var good = CookieToken(DateTime.UtcNow.AddMinutes(5), signing);
            var expired = CookieToken(DateTime.UtcNow.AddMinutes(-5), signing);
            var forged = CookieToken(DateTime.UtcNow.AddMinutes(5), new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)));
            Token(good);
            Token(expired);
            Token(forged);

            Assert.Equal(HttpStatusCode.OK, await RecordAsync(app.GetAsync("/app/dashboard", $"__Host-access_token={good}")));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(app.GetAsync("/app/dashboard", $"__Host-access_token={expired}")));
            Assert.Equal(HttpStatusCode.Unauthorized, await RecordAsync(app.GetAsync("/app/dashboard", $"__Host-access_token={forged}")));
        }

        var lines = logs.SelectMany(l => l.Lines).Concat(_seen).ToArray();
        Assert.True(logs.All(l => l.Entries.Any(e => e.Level == LogLevel.Trace || e.Level == LogLevel.Debug)), "every host logged below Information");
        Assert.All(_secrets, secret => Assert.True(secret.Length >= 16, secret.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var secret in _secrets)
        {
            var leak = lines.FirstOrDefault(line => line.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"a secret of {secret.Length} characters appears in: {leak?[..Math.Min(leak.Length, 300)]}");
        }
    }
}
