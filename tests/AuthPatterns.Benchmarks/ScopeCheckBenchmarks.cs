using System.Security.Claims;
using AuthPatterns;
using AuthPatterns.Authorization;
using BenchmarkDotNet.Attributes;

namespace AuthPatterns.Benchmarks;

/// <summary>What normalizing scopes costs per request, against building the identity alone.</summary>
[MemoryDiagnoser]
public class ScopeCheckBenchmarks
{
    [Benchmark(Baseline = true)]
    public ClaimsIdentity IdentityOnly()
    {
        var identity = new ClaimsIdentity("Bearer");
        identity.AddClaim(new Claim(LayeredClaimTypes.Scope, "orders:read orders:write profile:read"));
        return identity;
    }

    [Benchmark]
    public ClaimsIdentity IdentityNormalized()
    {
        var identity = IdentityOnly();
        ScopeClaimNormalizer.Normalize(identity);
        return identity;
    }
}
