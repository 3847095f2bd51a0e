using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

// The JWT token-cache memory curve's app, for tests/load/scale-tokens.sh: the layered JWT scheme at its default cache
// settings, validating RS256 tokens against the JWKS this process serves for its own load-test key (Scale:KeyFile, a PEM
// created on first use and kept with the minted tokens so they stay valid across runs). GET /ping is anonymous and
// GET /api/ping requires the scope orders:read. GET /load/stats reports the managed heap after a full collection, the
// process's resident memory and the GC's committed memory (with ?aggressive=true, after a collection that gives back what
// it can), and from the app's own AuthPatterns meter the token-cache lookups, authentication
// outcomes and JWKS fetches so far.
//
// With Scale:Mint=N the app serves nothing: it writes N distinct tokens of Scale:Kind (small: about 10 claims and
// 0.7 KB; large: the same plus one groups claim of Scale:Padding characters, about 15 KB in all) to Scale:TokensFile,
// one a line, valid for Scale:Lifetime (7 days), and exits. The tokens are signed here rather than by the library's
// IServiceTokenIssuer because that issuer writes only its own fixed claims, and the large tokens need one big claim.
var builder = WebApplication.CreateBuilder(args);
var configuration = builder.Configuration;
var keyFile = configuration["Scale:KeyFile"] ?? throw new InvalidOperationException("Scale:KeyFile is required.");
var issuer = configuration["LayeredAuth:Jwt:Issuer"] ?? throw new InvalidOperationException("LayeredAuth:Jwt:Issuer is required.");
var audience = configuration["LayeredAuth:Jwt:Audience"] ?? throw new InvalidOperationException("LayeredAuth:Jwt:Audience is required.");

using var rsa = RSA.Create();
if (File.Exists(keyFile))
{
    rsa.ImportFromPem(await File.ReadAllTextAsync(keyFile));
}
else
{
    rsa.KeySize = 2048;
    await File.WriteAllTextAsync(keyFile, rsa.ExportRSAPrivateKeyPem());
}

var publicKey = rsa.ExportParameters(includePrivateParameters: false);
var keyId = "load-" + Base64UrlEncoder.Encode(SHA256.HashData(publicKey.Modulus!))[..16];

var mint = configuration.GetValue("Scale:Mint", 0);
if (mint > 0)
{
    Mint(
        rsa,
        keyId,
        issuer,
        audience,
        mint,
        configuration["Scale:Kind"] ?? "small",
        configuration.GetValue("Scale:Padding", 10_900),
        configuration.GetValue("Scale:Lifetime", TimeSpan.FromDays(7)),
        configuration["Scale:TokensFile"] ?? throw new InvalidOperationException("Scale:TokensFile is required."));
    return;
}

// The JWKS is served by a second, silent host in this process, started first: the JWT scheme fetches its keys at
// startup, before the main host listens, and would otherwise wait out its refetch cooldown.
var jwksBuilder = WebApplication.CreateSlimBuilder();
jwksBuilder.Logging.ClearProviders();
jwksBuilder.WebHost.UseUrls("http://127.0.0.1:0");
await using var jwksHost = jwksBuilder.Build();
jwksHost.MapGet("/.well-known/jwks.json", () => Results.Json(new
{
    keys = new[]
    {
        new { kty = "RSA", use = "sig", alg = "RS256", kid = keyId, n = Base64UrlEncoder.Encode(publicKey.Modulus), e = Base64UrlEncoder.Encode(publicKey.Exponent) },
    },
}));
await jwksHost.StartAsync();
configuration["LayeredAuth:Jwt:JwksUri"] = jwksHost.Urls.First() + "/.well-known/jwks.json";

builder.Services.AddLayeredAuth(configuration.GetSection("LayeredAuth")).AddJwt();

var app = builder.Build();

var lookups = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
var outcomes = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
var fetches = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
using var listener = new MeterListener();
listener.InstrumentPublished = (instrument, l) =>
{
    if (instrument.Meter.Name == "AuthPatterns"
        && instrument.Name is "authpatterns.jwt.cache_lookups" or "authpatterns.authentication.outcomes" or "authpatterns.jwt.jwks_fetches")
    {
        l.EnableMeasurementEvents(instrument);
    }
};
listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
{
    switch (instrument.Name)
    {
        case "authpatterns.jwt.cache_lookups":
            Count(lookups, tags, "result", value);
            break;
        case "authpatterns.authentication.outcomes":
            Count(outcomes, tags, "outcome", value);
            break;
        default:
            Count(fetches, tags, "result", value);
            break;
    }
});
listener.Start();

app.UseAuthentication();
app.UseAuthorization();
app.MapGet("/ping", () => "pong").AllowAnonymous();
app.MapGet("/api/ping", () => "pong").RequireScope("orders:read");
app.MapGet("/load/stats", (bool? aggressive) =>
{
    if (aggressive == true)
    {
        // What the process can give back: a compacting collection that also decommits the GC's free space.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    var heap = GC.GetTotalMemory(forceFullCollection: true);
    return Results.Json(new
    {
        serverGc = System.Runtime.GCSettings.IsServerGC,
        heapBytes = heap,
        gcCommittedBytes = GC.GetGCMemoryInfo().TotalCommittedBytes,
        rssBytes = StatusKib("VmRSS") * 1024,
        peakRssBytes = StatusKib("VmHWM") * 1024,
        cacheLookups = new Dictionary<string, long>(lookups),
        outcomes = new Dictionary<string, long>(outcomes),
        jwksFetches = new Dictionary<string, long>(fetches),
    });
}).AllowAnonymous();
await app.RunAsync();

static void Mint(RSA key, string keyId, string issuer, string audience, int count, string kind, int padding, TimeSpan lifetime, string file)
{
    if (kind is not ("small" or "large"))
    {
        throw new InvalidOperationException("Scale:Kind must be small or large.");
    }

    var now = DateTimeOffset.UtcNow;
    var expires = now + lifetime;

    // One claim of many group names, as tokens of users in many groups carry; the same list in every token (the tokens
    // differ in sub, jti and signature), so the 15 KB are the claim, not randomness.
    var groups = new StringBuilder();
    for (var g = 0; groups.Length < padding; g++)
    {
        groups.Append(CultureInfo.InvariantCulture, $"{(g == 0 ? string.Empty : " ")}group-{g:D5}");
    }

    var groupsClaim = groups.ToString(0, padding).TrimEnd();
    var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
    var credentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = keyId }, SecurityAlgorithms.RsaSha256);
    using var writer = new StreamWriter(file, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    const int Chunk = 4096;
    var tokens = new string[Chunk];
    for (var start = 0; start < count; start += Chunk)
    {
        var size = Math.Min(Chunk, count - start);
        Parallel.For(0, size, i =>
        {
            var id = (start + i).ToString("D7", CultureInfo.InvariantCulture);
            var claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["sub"] = "service-" + id,
                ["client_id"] = "load-client-" + id,
                ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
                ["scope"] = "orders:read orders:write profile:read",
                ["tenant"] = "tenant-" + ((start + i) % 100).ToString("D3", CultureInfo.InvariantCulture),
            };
            if (kind == "large")
            {
                claims["groups"] = groupsClaim;
            }

            tokens[i] = handler.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = issuer,
                Audience = audience,
                IssuedAt = now.UtcDateTime,
                NotBefore = now.UtcDateTime,
                Expires = expires.UtcDateTime,
                TokenType = "at+jwt",
                Claims = claims,
                SigningCredentials = credentials,
            });
        });
        for (var i = 0; i < size; i++)
        {
            writer.WriteLine(tokens[i]);
        }
    }

    Console.WriteLine($"Minted {count} {kind} tokens into {file}.");
}


static long StatusKib(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith(field + ":", StringComparison.Ordinal))
        {
            return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        }
    }

    return 0;
}

static void Count(ConcurrentDictionary<string, long> counts, ReadOnlySpan<KeyValuePair<string, object?>> tags, string name, long value)
{
    foreach (var tag in tags)
    {
        if (tag.Key == name && tag.Value is string key)
        {
            counts.AddOrUpdate(key, value, (_, old) => old + value);
        }
    }
}
