using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Tests.Jwt;

/// <summary>Raw JWS building (so hostile tokens can be made byte by byte), test keys, a fake JWKS endpoint and a test host.</summary>
internal static class JwtTestKit
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "orders-api";
    public static readonly Uri JwksUri = new("https://issuer.test/.well-known/jwks.json");
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string B64(byte[] bytes) => Base64UrlEncoder.Encode(bytes);

    public static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    public static string Json(object value) => JsonSerializer.Serialize(value);

    public static string SignRs(RSA key, string headerJson, string payloadJson, HashAlgorithmName? hash = null, RSASignaturePadding? padding = null)
    {
        var input = B64(headerJson) + "." + B64(payloadJson);
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), hash ?? HashAlgorithmName.SHA256, padding ?? RSASignaturePadding.Pkcs1);
        return input + "." + B64(signature);
    }

    public static string SignEs(ECDsa key, string headerJson, string payloadJson)
    {
        var input = B64(headerJson) + "." + B64(payloadJson);
        return input + "." + B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    public static string SignHs(byte[] secret, string headerJson, string payloadJson)
    {
        var input = B64(headerJson) + "." + B64(payloadJson);
        return input + "." + B64(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));
    }

    public static string Header(string kid = "k1", string alg = "RS256", string typ = "at+jwt") =>
        Json(new Dictionary<string, object> { ["alg"] = alg, ["kid"] = kid, ["typ"] = typ });

    public static Dictionary<string, object> Claims(DateTimeOffset now, string scope = "reports:read orders:read") => new()
    {
        ["iss"] = Issuer,
        ["aud"] = Audience,
        ["sub"] = "svc-billing",
        ["client_id"] = "billing",
        ["jti"] = Guid.NewGuid().ToString("N"),
        ["scope"] = scope,
        ["iat"] = now.ToUnixTimeSeconds(),
        ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
    };

    public static string Payload(DateTimeOffset now, Action<Dictionary<string, object>>? change = null)
    {
        var claims = Claims(now);
        change?.Invoke(claims);
        return Json(claims);
    }

    public static Dictionary<string, object> Jwk(RSA key, string kid, string? alg = "RS256")
    {
        var p = key.ExportParameters(false);
        var jwk = new Dictionary<string, object> { ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["n"] = B64(p.Modulus!), ["e"] = B64(p.Exponent!) };
        if (alg is not null)
        {
            jwk["alg"] = alg;
        }

        return jwk;
    }

    public static Dictionary<string, object> Jwk(ECDsa key, string kid)
    {
        var p = key.ExportParameters(false);
        return new() { ["kty"] = "EC", ["kid"] = kid, ["use"] = "sig", ["crv"] = "P-256", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
    }

    public static string Jwks(params Dictionary<string, object>[] keys) => Json(new { keys });

    public static async Task<WebApplication> StartHostAsync(
        FakeJwksHandler jwks,
        FakeTimeProvider time,
        Action<JwtAuthenticationOptions>? configure = null,
        Action<JwtBearerOptions>? bearer = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? map = null)
    {
        return await LayeredTestHost.StartAsync(
            app =>
            {
                app.MapGet("/api/ping", (System.Security.Claims.ClaimsPrincipal user) => Results.Ok(new
                {
                    sub = user.FindFirst("sub")?.Value,
                    clientId = user.FindFirst("client_id")?.Value,
                    jti = user.FindFirst("jti")?.Value,
                    scopes = user.FindAll("scope").Select(c => c.Value).ToArray(),
                    scheme = user.FindFirst(LayeredClaimTypes.Scheme)?.Value,
                    claimCount = user.Claims.Count(),
                })).RequireAuthorization();
                app.MapGet("/reports", () => "reports").RequireScope("reports:read");
                app.MapGet("/admin", () => "admin").RequireScope("admin:write");
                map?.Invoke(app);
            },
            layered => layered.AddJwt(options =>
            {
                options.JwksUri = JwksUri;
                options.Issuer = Issuer;
                options.Audience = Audience;
                configure?.Invoke(options);
            }),
            s =>
            {
                s.AddSingleton<TimeProvider>(time);
                s.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => jwks)
                    .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
                if (bearer is not null)
                {
                    s.Configure(LayeredAuthSchemes.Bearer, bearer);
                }

                services?.Invoke(s);
            });
    }

    public static HttpRequestMessage Get(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return request;
    }
}

/// <summary>A JWKS endpoint faked at the HttpMessageHandler level: it counts fetches and answers what the test says.</summary>
internal sealed class FakeJwksHandler : HttpMessageHandler
{
    private int _fetches;

    public FakeJwksHandler(string jwks) => Respond = _ => Ok(jwks);

    public int Fetches => Volatile.Read(ref _fetches);

    public List<Uri> Requests { get; } = [];

    /// <summary>When set, requests wait until the caller cancels them (a hung JWKS endpoint).</summary>
    public bool Hang { get; set; }

    /// <summary>Released once per request received.</summary>
    public SemaphoreSlim Arrived { get; } = new(0);

    public Func<HttpRequestMessage, Task<HttpResponseMessage>> Respond { get; set; }

    public void Serve(string jwks, string? cacheControl = null) => Respond = _ => Ok(jwks, cacheControl);

    public static Task<HttpResponseMessage> Ok(string body, string? cacheControl = null)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (cacheControl is not null)
        {
            response.Headers.TryAddWithoutValidation("Cache-Control", cacheControl);
        }

        return Task.FromResult(response);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _fetches);
        lock (Requests)
        {
            Requests.Add(request.RequestUri!);
        }

        Arrived.Release();
        return Hang ? HangAsync(cancellationToken) : Respond(request);
    }

    private static async Task<HttpResponseMessage> HangAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return new HttpResponseMessage(HttpStatusCode.OK);
    }
}
