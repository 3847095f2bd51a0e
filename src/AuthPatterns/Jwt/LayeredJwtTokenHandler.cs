using System.Security.Claims;
using AuthPatterns.Authorization;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Jwt;

/// <summary>
/// The token handler the stock <c>JwtBearerHandler</c> calls (through <c>JwtBearerOptions.TokenHandlers</c>): a cache
/// lookup, then the structural pre-validation, then the key lookup (refreshing the JWKS for a new <c>kid</c>), then
/// <see cref="JsonWebTokenHandler"/> with hardened parameters, then scope normalization and the revocation check.
/// Every failure is a failed result carrying a fixed message; nothing about the token reaches the client.
/// </summary>
internal sealed class LayeredJwtTokenHandler : TokenHandler
{
    private readonly JwtStructureValidator _structure;
    private readonly IJwtKeySource _keys;
    private readonly CredentialCache<ValidatedToken>? _cache;
    private readonly long _minimumEntrySize;
    private readonly IJwtRevocationList? _revocations;
    private readonly JsonWebTokenHandler _inner = new() { MapInboundClaims = false, SetDefaultTimesOnTokenCreation = false };
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _authenticationType;
    private readonly IReadOnlyDictionary<string, string> _roleScopes;
    private readonly LayeredAuthMetrics _metrics;
    private readonly JwtTelemetry _telemetry;

    public LayeredJwtTokenHandler(
        JwtAuthenticationOptions options,
        string authenticationType,
        IJwtKeySource keys,
        CredentialCache<ValidatedToken>? cache,
        IJwtRevocationList? revocations,
        TimeProvider time,
        ILogger logger,
        LayeredAuthMetrics metrics,
        JwtTelemetry telemetry)
    {
        _metrics = metrics;
        _telemetry = telemetry;
        _structure = new JwtStructureValidator(options);
        _keys = keys;
        _cache = cache;

        _minimumEntrySize = MinimumEntrySize(options);
        _revocations = revocations;
        _time = time;
        _logger = logger;
        _authenticationType = authenticationType;
        _roleScopes = new Dictionary<string, string>(options.RoleScopes, StringComparer.Ordinal);
        MaximumTokenSizeInBytes = options.MaxTokenSize;
    }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (string.IsNullOrEmpty(token) || token.Length > _structure.MaxTokenSize)
        {
            return Fail(JwtRefusal.TooLarge);
        }

        CredentialKey key = default;
        if (_cache is not null)
        {
            key = _cache.KeyOf(token);
            if (_cache.TryGet(key, out var cached))
            {
                if (_keys.IsPublished(cached.KeyId))
                {
                    _telemetry.CacheLookup(hit: true);
                    return await IsRevokedAsync(cached.TokenId) ? Fail(JwtRefusal.Revoked) : Success(cached, "valid_cached");
                }

                // Its key left the JWKS: the token is validated again below, and refused unless the key comes back.
                _cache.Remove(key);
            }

            _telemetry.CacheLookup(hit: false);
        }

        var refusal = _structure.Validate(token, out var header);
        if (refusal != JwtRefusal.None)
        {
            return Fail(refusal);
        }

        if (!await _keys.EnsureKeyAsync(header.KeyId, CancellationToken.None))
        {
            return Fail(JwtRefusal.UnknownKey);
        }

        TokenValidationResult result;
        try
        {
            result = await _inner.ValidateTokenAsync(token, validationParameters);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The inner handler reports failures in its result; anything thrown is still a refusal, never a 500.
            _logger.TokenRefusedByValidation(header.KeyId, exception.GetType().Name);
            _metrics.RecordOutcome(_authenticationType, "invalid_token");
            return Failed;
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            _logger.TokenRefusedByValidation(header.KeyId, result.Exception?.GetType().Name ?? "invalid");
            _metrics.RecordOutcome(_authenticationType, "invalid_token");
            return Failed;
        }

        // The token's claims, read once from its payload: claims the library sets itself (the scheme, an API key id)
        // never come from a token. They are copied once more, into the identity that owns them.
        var claims = new List<Claim>();
        foreach (var claim in jwt.Claims)
        {
            if (!LayeredClaimTypes.IsReserved(claim.Type))
            {
                claims.Add(claim);
            }
        }

        GrantRoleScopes(claims);
        var invalidScopes = ScopeClaimNormalizer.NormalizeCore(claims);
        if (invalidScopes > 0)
        {
            // Logged once per token: a valid token is normalized once, then served from the cache.
            _logger.InvalidScopeTokensDropped(header.KeyId, invalidScopes);
        }

        var tokenId = jwt.TryGetPayloadValue<string>(LayeredClaimTypes.TokenId, out var jti) ? jti : null;
        if (await IsRevokedAsync(tokenId))
        {
            return Fail(JwtRefusal.Revoked);
        }

        if (_cache is null)
        {
            // Nothing keeps this identity: the request may have it as it is.
            _metrics.RecordOutcome(_authenticationType, "valid");
            return Result(new ClaimsIdentity(claims, _authenticationType, LayeredClaimTypes.Subject, "role"), jwt);
        }

        var entry = new ValidatedToken(
            new SharedClaims(claims, _authenticationType, LayeredClaimTypes.Subject, "role"),
            header.KeyId,
            tokenId,
            jwt.Issuer,
            jwt.Typ,
            jwt.ValidFrom,
            new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
        if (!_cache.Set(key, entry, entry.ExpiresAt, CacheCharge(entry, _minimumEntrySize)))
        {
            _telemetry.CacheRefused();
        }

        return Success(entry, "valid");
    }

    /// <summary>
    /// The warm path: the token's validated entry when it is cached, its key still published and it is not revoked,
    /// with the outcome recorded as <see cref="ValidateTokenAsync"/> records it; otherwise <see langword="null"/>,
    /// having recorded and logged nothing, so <see cref="ValidateTokenAsync"/> can decide the request in full.
    /// </summary>
    /// <param name="header">The header value the token was read from, as the server gave it.</param>
    /// <param name="token">The token within it.</param>
    internal async ValueTask<ValidatedToken?> TryGetCachedAsync(string header, ReadOnlyMemory<char> token)
    {
        if (_cache is null || token.IsEmpty || token.Length > _structure.MaxTokenSize)
        {
            return null;
        }

        if (!_cache.TryGet(header, token.Span, out var cached)
            || !_keys.IsPublished(cached.KeyId)
            || (_revocations is not null && cached.TokenId is not null && await _revocations.IsRevokedAsync(cached.TokenId)))
        {
            return null;
        }

        _telemetry.CacheLookup(hit: true);
        _metrics.RecordOutcome(_authenticationType, "valid_cached");
        return cached;
    }

    public override SecurityToken ReadToken(string token) => _inner.ReadToken(token);

    /// <summary>
    /// Adds the scopes <see cref="JwtAuthenticationOptions.RoleScopes"/> grants to the token's app roles, before the
    /// scopes are normalized. Unmapped roles stay roles and grant no scope.
    /// </summary>
    private void GrantRoleScopes(List<Claim> claims)
    {
        if (_roleScopes.Count == 0)
        {
            return;
        }

        for (int i = 0, count = claims.Count; i < count; i++)
        {
            var role = claims[i];
            if (string.Equals(role.Type, JwtAuthenticationDefaults.RolesClaimType, StringComparison.OrdinalIgnoreCase)
                && _roleScopes.TryGetValue(role.Value, out var scopes))
            {
                claims.Add(new Claim(LayeredClaimTypes.Scope, scopes, ClaimValueTypes.String, role.Issuer));
            }
        }
    }

    // Each entry is charged at least its share of the count bound, so the byte budget also holds the cache to
    // TokenCacheSize entries.
    internal static long MinimumEntrySize(JwtAuthenticationOptions options) =>
        (options.TokenCacheSizeLimitBytes + options.TokenCacheSize - 1) / options.TokenCacheSize;

    /// <summary>What an entry costs against the cache's byte budget.</summary>
    internal static long CacheCharge(ValidatedToken entry, long minimumEntrySize) => Math.Max(entry.EstimateSize(), minimumEntrySize);

    private async ValueTask<bool> IsRevokedAsync(string? tokenId)
    {
        if (_revocations is null || tokenId is null || !await _revocations.IsRevokedAsync(tokenId))
        {
            return false;
        }

        _logger.TokenRevoked();
        return true;
    }

    private TokenValidationResult Success(ValidatedToken entry, string outcome)
    {
        _metrics.RecordOutcome(_authenticationType, outcome);
        // A fresh identity per request reading the cached claims: events may change it without touching them.
        return new TokenValidationResult
        {
            IsValid = true,
            ClaimsIdentity = entry.Claims.CreateIdentity(_authenticationType),
            SecurityToken = new CachedJwtSecurityToken(entry),
            Issuer = entry.Issuer,
            TokenType = entry.TokenType,
        };
    }

    private static TokenValidationResult Result(ClaimsIdentity identity, JsonWebToken token) => new()
    {
        IsValid = true,
        ClaimsIdentity = identity,
        SecurityToken = token,
        Issuer = token.Issuer,
        TokenType = token.Typ,
    };

    private TokenValidationResult Fail(JwtRefusal refusal)
    {
        _logger.TokenRefused(refusal);
        _metrics.RecordOutcome(_authenticationType, refusal == JwtRefusal.Revoked ? "revoked" : "invalid_token");
        return Failed;
    }

    private static TokenValidationResult Failed => new() { IsValid = false, Exception = new SecurityTokenMalformedException("The token was refused.") };
}
