using AuthPatterns.ForwardAuth;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>
/// A cached portal answer serves many requests: its claims are built once and read by each request's principal, and
/// a reload of the options (a new group-to-scope map) is seen at once, not when the answer expires.
/// </summary>
public sealed class ForwardAuthIdentityClaimsTests
{
    private static readonly ForwardAuthIdentity Alice = new("alice", "Alice", "alice@example.com", ["admins", "staff"]);

    [Fact]
    public void Requests_served_from_one_answer_read_the_same_claims_and_each_gets_its_own_identity()
    {
        var options = new ForwardAuthAuthenticationOptions();
        options.GroupScopes["admins"] = "orders:read orders:write";

        var first = Alice.ToPrincipal("Portal", options);
        var second = Alice.ToPrincipal("Portal", options);

        Assert.NotSame(first.Identity, second.Identity);
        Assert.Same(first.FindFirst(LayeredClaimTypes.Subject), second.FindFirst(LayeredClaimTypes.Subject));
        Assert.Equal(["orders:read", "orders:write"], first.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value));
        Assert.Equal("alice", first.Identity!.Name);
        Assert.True(first.IsInRole("staff"));

        ((System.Security.Claims.ClaimsIdentity)first.Identity).AddClaim(new(LayeredClaimTypes.Scope, "admin:all"));
        Assert.DoesNotContain(second.Claims, c => c.Value == "admin:all");
        Assert.DoesNotContain(Alice.ToPrincipal("Portal", options).Claims, c => c.Value == "admin:all");
    }

    [Fact]
    public void Reloaded_options_give_the_new_scopes_to_an_answer_already_cached()
    {
        var before = new ForwardAuthAuthenticationOptions();
        before.GroupScopes["admins"] = "orders:read orders:write";
        Assert.Contains(Alice.ToPrincipal("Portal", before).Claims, c => c.Value == "orders:write");

        var reloaded = new ForwardAuthAuthenticationOptions();
        reloaded.GroupScopes["admins"] = "orders:read";

        Assert.Equal(["orders:read"], Alice.ToPrincipal("Portal", reloaded).FindAll(LayeredClaimTypes.Scope).Select(c => c.Value));
    }
}
