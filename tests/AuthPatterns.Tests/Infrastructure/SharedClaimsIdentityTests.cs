using System.Security.Claims;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.Tests.Infrastructure;

/// <summary>
/// A warm request's identity reads the claims its cache entry keeps instead of copying them. Whatever a request (or an
/// event) does with its identity must never reach the cache entry or another request, and the identity must behave as
/// one that holds its own claims.
/// </summary>
public sealed class SharedClaimsIdentityTests
{
    private static SharedClaims Cached() => new(
        [new Claim("sub", "svc-1"), new Claim("scope", "orders:read"), new Claim("role", "reader"), new Claim("name", "Service One")],
        "Bearer",
        "sub",
        "role");

    [Fact]
    public void A_request_identity_reads_the_cached_claims_in_order_then_its_own()
    {
        var cached = Cached();
        var identity = cached.CreateIdentity("Bearer");
        identity.AddClaim(new Claim("scheme", "Bearer"));

        Assert.Equal(["sub", "scope", "role", "name", "scheme"], identity.Claims.Select(c => c.Type));
        Assert.Equal("svc-1", identity.Name);
        Assert.True(identity.IsAuthenticated);
        Assert.True(new ClaimsPrincipal(identity).IsInRole("reader"));
        Assert.True(identity.HasClaim("scope", "orders:read"));
        Assert.Equal("Bearer", identity.FindFirst("scheme")!.Value);
        Assert.Same(cached.Claims[1], identity.FindFirst("scope"));
    }

    [Fact]
    public void Claims_added_by_one_request_never_reach_the_cache_entry_or_another_request()
    {
        var cached = Cached();
        var first = cached.CreateIdentity("Bearer");
        first.AddClaim(new Claim("scope", "orders:write"));

        var second = cached.CreateIdentity("Bearer");

        Assert.Equal(4, cached.Claims.Count);
        Assert.DoesNotContain(second.Claims, c => c.Value == "orders:write");
        Assert.Contains(first.Claims, c => c.Value == "orders:write");
    }

    [Fact]
    public void Removing_a_cached_claim_removes_it_from_this_request_only()
    {
        var cached = Cached();
        var identity = cached.CreateIdentity("Bearer");
        identity.AddClaim(new Claim("scheme", "Bearer"));

        identity.RemoveClaim(identity.FindFirst("scope"));
        Assert.False(identity.TryRemoveClaim(new Claim("sub", "svc-1")));

        Assert.Equal(["sub", "role", "name", "scheme"], identity.Claims.Select(c => c.Type));
        Assert.All(identity.Claims, c => Assert.Same(identity, c.Subject));
        Assert.Equal(4, cached.Claims.Count);
        Assert.Equal(["sub", "scope", "role", "name"], cached.CreateIdentity("Bearer").Claims.Select(c => c.Type));
        Assert.Throws<InvalidOperationException>(() => identity.RemoveClaim(new Claim("sub", "svc-1")));
    }

    [Fact]
    public void The_cached_claims_cannot_be_changed_through_their_subject()
    {
        var cached = Cached();
        var subject = cached.CreateIdentity("Bearer").FindFirst("sub")!.Subject!;

        Assert.Throws<InvalidOperationException>(() => subject.AddClaim(new Claim("scope", "admin")));
        Assert.Throws<InvalidOperationException>(() => subject.AddClaims([new Claim("scope", "admin")]));
        Assert.Throws<InvalidOperationException>(() => subject.TryRemoveClaim(cached.Claims[1]));
        Assert.Throws<InvalidOperationException>(() => subject.RemoveClaim(cached.Claims[1]));
        Assert.Equal(["sub", "scope", "role", "name"], cached.Claims.Select(c => c.Type));
    }

    [Fact]
    public void A_clone_and_a_serialized_copy_hold_every_claim()
    {
        var identity = Cached().CreateIdentity("Bearer");
        identity.AddClaim(new Claim("scheme", "Bearer"));

        var clone = new ClaimsPrincipal(identity).Clone().Identities.Single();
        Assert.Equal(["sub", "scope", "role", "name", "scheme"], clone.Claims.Select(c => c.Type));
        Assert.Equal("svc-1", clone.Name);

        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            identity.WriteTo(writer);
        }

        buffer.Position = 0;
        using var reader = new BinaryReader(buffer);
        var read = new ClaimsIdentity(reader);
        Assert.Equal(["sub", "scope", "role", "name", "scheme"], read.Claims.Select(c => c.Type));
        Assert.Equal("role", read.RoleClaimType);
    }
}
