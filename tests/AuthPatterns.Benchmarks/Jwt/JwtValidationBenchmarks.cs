using System.Security.Cryptography;
using AuthPatterns.Jwt;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Benchmarks.Jwt;

/// <summary>
/// One RS256 access token validated by the stock <see cref="JsonWebTokenHandler"/> (issuer, audience and key set: the
/// baseline), by our handler without its cache (pre-validation + the same RSA work), by our handler with its cache
/// (the repeated-token case), by our handler missing its cache (a token seen for the first time: the validation, then
/// the entry it caches), and by the structural pre-validation alone. Run: <c>dotnet run -c Release --project tests/AuthPatterns.Benchmarks -- --filter '*JwtValidation*'</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class JwtValidationBenchmarks
{
    private const string Issuer = "https://issuer.bench";
    private const string Audience = "bench-api";

    private string _token = "";
    private JsonWebTokenHandler _stock = null!;
    private TokenValidationParameters _stockParameters = null!;
    private LayeredJwtTokenHandler _uncached = null!;
    private LayeredJwtTokenHandler _cached = null!;
    private LayeredJwtTokenHandler _missing = null!;
    private AuthPatterns.Infrastructure.CredentialCache<ValidatedToken> _missingCache = null!;
    private JwtStructureValidator _structure = null!;
    private TokenValidationParameters _parameters = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rsa = RSA.Create(2048);
        var signingKey = new RsaSecurityKey(rsa) { KeyId = "k1" };
        var publicKey = new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "k1" };
        var now = DateTime.UtcNow;
        _token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            TokenType = "at+jwt",
            Claims = new Dictionary<string, object> { ["sub"] = "svc", ["scope"] = "orders:read orders:write", ["jti"] = "j1", ["client_id"] = "c1" },
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256),
        });

        _stock = new JsonWebTokenHandler();
        _stockParameters = new TokenValidationParameters { ValidIssuer = Issuer, ValidAudience = Audience, IssuerSigningKey = publicKey };

        var options = new JwtAuthenticationOptions { JwksUri = new Uri("https://issuer.bench/jwks"), Issuer = Issuer, Audience = Audience };
        var keys = new FixedKeySource(new JwksKeySet([new JwksKey("k1", "RSA", "RS256", null, 2048, publicKey)]));
        _parameters = new TokenValidationParameters();
        PostConfigureJwtBearerOptions.Harden(_parameters, options, keys, TimeProvider.System);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var metrics = new AuthPatterns.Infrastructure.LayeredAuthMetrics(meters);
        var telemetry = new JwtTelemetry(meters);
        _uncached = new LayeredJwtTokenHandler(options, "Bearer", keys, cache: null, revocations: null, TimeProvider.System, NullLogger.Instance, metrics, telemetry);
        _cached = new LayeredJwtTokenHandler(options, "Bearer", keys, JwtSchemeRuntime.CreateCache(options, TimeProvider.System), revocations: null, TimeProvider.System, NullLogger.Instance, metrics, telemetry);

        _missingCache = JwtSchemeRuntime.CreateCache(options, TimeProvider.System);
        _missing = new LayeredJwtTokenHandler(options, "Bearer", keys, _missingCache, revocations: null, TimeProvider.System, NullLogger.Instance, metrics, telemetry);
        _structure = new JwtStructureValidator(options);

        if (!_stock.ValidateTokenAsync(_token, _stockParameters).GetAwaiter().GetResult().IsValid
            || !_uncached.ValidateTokenAsync(_token, _parameters).GetAwaiter().GetResult().IsValid
            || !_cached.ValidateTokenAsync(_token, _parameters).GetAwaiter().GetResult().IsValid)
        {
            throw new InvalidOperationException("The benchmark token does not validate.");
        }
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> StockJsonWebTokenHandler() => (await _stock.ValidateTokenAsync(_token, _stockParameters)).IsValid;

    [Benchmark]
    public async Task<bool> LayeredWithoutCache() => (await _uncached.ValidateTokenAsync(_token, _parameters)).IsValid;

    [Benchmark]
    public async Task<bool> LayeredWithCache() => (await _cached.ValidateTokenAsync(_token, _parameters)).IsValid;

    [Benchmark]
    public async Task<bool> LayeredCacheMiss()
    {
        _missingCache.Clear();
        return (await _missing.ValidateTokenAsync(_token, _parameters)).IsValid;
    }

    [Benchmark]
    public bool StructureOnly() => _structure.Validate(_token, out _) == JwtRefusal.None;

    private sealed class FixedKeySource(JwksKeySet keys) : IJwtKeySource
    {
        public ValueTask<bool> EnsureKeyAsync(string keyId, CancellationToken cancellationToken) => ValueTask.FromResult(keys.Contains(keyId));

        public IReadOnlyList<SecurityKey> Resolve(string keyId, string algorithm) => keys.Resolve(keyId, algorithm, 2048);

        public bool IsPublished(string keyId) => keys.Contains(keyId);
    }
}
