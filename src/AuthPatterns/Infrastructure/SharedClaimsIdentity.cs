using System.Security.Claims;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// The identity of one warm request, reading the claims a cache entry keeps instead of copying them: the copy
/// <see cref="ClaimsIdentity"/> makes of every claim it is given was most of what a cached credential cost per request.
/// It behaves as an identity holding its own copies. Claims added to it are its own. Removing one of the cached claims
/// first copies them into the identity (in order), so the cache entry never changes; so do <see cref="Clone"/> and
/// serialization. A cached claim's <see cref="Claim.Subject"/> is the cache entry's identity, which refuses changes.
/// </summary>
internal sealed class SharedClaimsIdentity : ClaimsIdentity
{
    private IReadOnlyList<Claim>? _shared;

    public SharedClaimsIdentity(SharedClaims shared, string authenticationType)
        : base(authenticationType, shared.NameClaimType, shared.RoleClaimType) => _shared = shared.Claims;

    public override IEnumerable<Claim> Claims => _shared is null ? base.Claims : SharedThenOwn(_shared);

    // The searches every request makes (the layered scheme's own claim, the name) walk the cached list directly: the
    // base type's search would enumerate Claims, an iterator allocated per call.
    public override Claim? FindFirst(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (_shared is { } shared)
        {
            for (var i = 0; i < shared.Count; i++)
            {
                if (string.Equals(shared[i].Type, type, StringComparison.OrdinalIgnoreCase))
                {
                    return shared[i];
                }
            }
        }

        foreach (var claim in base.Claims)
        {
            if (string.Equals(claim.Type, type, StringComparison.OrdinalIgnoreCase))
            {
                return claim;
            }
        }

        return null;
    }

    public override bool TryRemoveClaim(Claim? claim)
    {
        if (claim is not null && _shared is not null && Contains(_shared, claim))
        {
            claim = CopyShared(claim);
        }

        return base.TryRemoveClaim(claim);
    }

    public override void RemoveClaim(Claim? claim)
    {
        if (!TryRemoveClaim(claim))
        {
            // The same refusal the base type gives for a claim it does not hold.
            base.RemoveClaim(claim);
        }
    }

    public override ClaimsIdentity Clone()
    {
        // The base copy takes the identity's own claims only.
        CopyShared(null);
        return base.Clone();
    }

    protected override void WriteTo(BinaryWriter writer, byte[]? userData)
    {
        CopyShared(null);
        base.WriteTo(writer, userData);
    }

    private IEnumerable<Claim> SharedThenOwn(IReadOnlyList<Claim> shared)
    {
        foreach (var claim in shared)
        {
            yield return claim;
        }

        foreach (var claim in base.Claims)
        {
            yield return claim;
        }
    }

    private static bool Contains(IReadOnlyList<Claim> claims, Claim claim)
    {
        foreach (var candidate in claims)
        {
            if (ReferenceEquals(candidate, claim))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Makes the cached claims this identity's own copies, ahead of the claims added to it; returns the copy of
    /// <paramref name="target"/>, if given.
    /// </summary>
    private Claim? CopyShared(Claim? target)
    {
        var shared = _shared;
        if (shared is null)
        {
            return target;
        }

        _shared = null;
        var own = base.Claims.ToList();
        foreach (var claim in own)
        {
            base.TryRemoveClaim(claim);
        }

        Claim? copyOfTarget = null;
        foreach (var claim in shared)
        {
            var copy = claim.Clone(this);
            base.AddClaim(copy);
            if (ReferenceEquals(claim, target))
            {
                copyOfTarget = copy;
            }
        }

        foreach (var claim in own)
        {
            base.AddClaim(claim);
        }

        return copyOfTarget;
    }
}

/// <summary>
/// Claims a cache entry keeps for the requests it serves, owned by an identity that refuses changes (so no request can
/// change them through <see cref="Claim.Subject"/>), with the name and role claim types requests see.
/// </summary>
internal sealed class SharedClaims
{
    public SharedClaims(IEnumerable<Claim> claims, string authenticationType, string nameClaimType, string roleClaimType)
    {
        var owner = new FrozenClaimsIdentity(claims, authenticationType, nameClaimType, roleClaimType);
        Claims = [.. owner.Claims];
        NameClaimType = nameClaimType;
        RoleClaimType = roleClaimType;
    }

    public IReadOnlyList<Claim> Claims { get; }

    public string NameClaimType { get; }

    public string RoleClaimType { get; }

    /// <summary>A new identity per request reading these claims.</summary>
    public ClaimsIdentity CreateIdentity(string authenticationType) => new SharedClaimsIdentity(this, authenticationType);

    private sealed class FrozenClaimsIdentity : ClaimsIdentity
    {
        private readonly bool _frozen;

        public FrozenClaimsIdentity(IEnumerable<Claim> claims, string authenticationType, string nameClaimType, string roleClaimType)
            : base(claims, authenticationType, nameClaimType, roleClaimType) => _frozen = true;

        public override void AddClaim(Claim claim) => Refuse(() => base.AddClaim(claim));

        public override void AddClaims(IEnumerable<Claim?> claims) => Refuse(() => base.AddClaims(claims));

        public override bool TryRemoveClaim(Claim? claim) => _frozen ? throw Frozen() : base.TryRemoveClaim(claim);

        public override void RemoveClaim(Claim? claim) => Refuse(() => base.RemoveClaim(claim));

        private void Refuse(Action change)
        {
            if (_frozen)
            {
                throw Frozen();
            }

            change();
        }

        private static InvalidOperationException Frozen() =>
            new("These claims are shared by the requests a cached credential serves and cannot be changed; change the request's own identity (HttpContext.User) instead.");
    }
}
