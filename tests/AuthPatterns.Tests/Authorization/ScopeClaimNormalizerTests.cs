using System.Security.Claims;
using AuthPatterns.Authorization;

namespace AuthPatterns.Tests.Authorization;

public sealed class ScopeClaimNormalizerTests
{
    private static string[] Scopes(ClaimsIdentity identity) =>
        identity.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value).ToArray();

    [Fact]
    public void Space_separated_scope_becomes_one_claim_per_scope()
    {
        var identity = new ClaimsIdentity([new Claim("scope", "orders:read  orders:write profile:read")]);
        ScopeClaimNormalizer.Normalize(identity);
        Assert.Equal(["orders:read", "orders:write", "profile:read"], Scopes(identity));
    }

    [Theory]
    [InlineData("profile:read reports:read\u00a0")]
    [InlineData("profile:read \u00a0reports:read")]
    [InlineData("profile:read reports:read\t")]
    [InlineData("profile:read\treports:read")]
    [InlineData("profile:read reports:read\u2003")]
    [InlineData("profile:read reports:read\u200b")]
    [InlineData("profile:read reports:read\r\n")]
    [InlineData("profile:read r\u0435ports:read")]
    public void Finding7_a_scope_token_that_is_not_exactly_a_valid_scope_is_dropped_never_trimmed_into_validity(string value)
    {
        var identity = new ClaimsIdentity([new Claim("scope", value)]);

        var dropped = ScopeClaimNormalizer.NormalizeCore(identity);

        Assert.DoesNotContain("reports:read", Scopes(identity));
        Assert.All(Scopes(identity), scope => Assert.True(ScopeClaimNormalizer.IsValidScope(scope)));
        Assert.True(dropped >= 1);
    }

    [Theory]
    [InlineData("reports:read\u00a0")]
    [InlineData(" reports:read")]
    [InlineData("reports:read\t")]
    public void Finding7_a_single_scope_claim_that_is_not_a_valid_scope_is_dropped(string value)
    {
        // The shape of an scp array element or an already split claim: no space to split on, nothing to rewrite but itself.
        var identity = new ClaimsIdentity([new Claim("scope", value), new Claim("scope", "profile:read")]);

        Assert.Equal(value == " reports:read" ? 0 : 1, ScopeClaimNormalizer.NormalizeCore(identity));

        Assert.Equal(value == " reports:read" ? ["reports:read", "profile:read"] : ["profile:read"], Scopes(identity));
    }

    [Fact]
    public void Finding7_AddScopes_skips_scopes_that_are_not_valid()
    {
        var identity = new ClaimsIdentity();
        ScopeClaimNormalizer.AddScopes(identity, ["profile:read", "reports:read\u00a0", "", "a b"]);
        Assert.Equal(["profile:read"], Scopes(identity));
    }

    [Theory]
    [InlineData("a b", new[] { "a", "b" })]
    [InlineData("  a   b  ", new[] { "a", "b" })]
    [InlineData("a\tb", new[] { "a\tb" })]
    [InlineData("a\u00a0", new[] { "a\u00a0" })]
    [InlineData("\u00a0", new[] { "\u00a0" })]
    [InlineData("", new string[0])]
    public void Split_cuts_on_the_ascii_space_only_and_trims_nothing(string value, string[] expected) =>
        Assert.Equal(expected, ScopeClaimNormalizer.Split(value));

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
