using System.Security.Claims;
using AuthPatterns.Authorization;

namespace AuthPatterns.Tests.Layered;

public sealed class ScopeClaimNormalizerTests
{
    private static string[] Scopes(ClaimsIdentity identity) =>
        identity.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value).ToArray();

    [Fact]
    public void Space_separated_scope_becomes_one_claim_per_scope()
    {
        var identity = new ClaimsIdentity([new Claim("scope", "orders:read  orders:write\tprofile:read")]);
        ScopeClaimNormalizer.Normalize(identity);
        Assert.Equal(["orders:read", "orders:write", "profile:read"], Scopes(identity));
    }

    [Fact]
    public void Scp_string_and_array_claims_are_merged_without_duplicates()
    {
        // JsonWebTokenHandler turns a JSON array into one claim per element.
        var identity = new ClaimsIdentity(
        [
            new Claim("scp", "orders:read"),
            new Claim("scp", "orders:write"),
            new Claim("scope", "orders:read profile:read"),
        ]);
        ScopeClaimNormalizer.Normalize(identity);
        Assert.Equal(["orders:read", "orders:write", "profile:read"], Scopes(identity));
        Assert.Empty(identity.FindAll("scp"));
    }

    [Fact]
    public void Normalizing_twice_changes_nothing()
    {
        var identity = new ClaimsIdentity([new Claim("scope", "a b")]);
        ScopeClaimNormalizer.Normalize(identity);
        var once = identity.Claims.Select(c => (c.Type, c.Value)).ToArray();
        ScopeClaimNormalizer.Normalize(identity);
        Assert.Equal(once, identity.Claims.Select(c => (c.Type, c.Value)).ToArray());
    }

    [Fact]
    public void Empty_scope_claims_grant_nothing()
    {
        var identity = new ClaimsIdentity([new Claim("scope", "   "), new Claim("sub", "alice")]);
        ScopeClaimNormalizer.Normalize(identity);
        Assert.Empty(Scopes(identity));
        Assert.Equal("alice", identity.FindFirst("sub")?.Value);
    }

    [Theory]
    [InlineData("orders:read", true)]
    [InlineData("https://api.example/orders.read", true)]
    [InlineData("", false)]
    [InlineData("two words", false)]
    [InlineData("quote\"d", false)]
    [InlineData("back\\slash", false)]
    [InlineData("caf\u00e9", false)]
    [InlineData("tab\t", false)]
    public void Scope_tokens_follow_rfc6749(string scope, bool valid) =>
        Assert.Equal(valid, ScopeClaimNormalizer.IsValidScope(scope));
}
