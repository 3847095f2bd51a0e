using AuthPatterns.Jwt;

namespace AuthPatterns.Jwt;

/// <summary>
/// How the <see cref="LayeredAuthSchemes.Bearer"/> scheme validates JSON Web Tokens. Bound from <c>LayeredAuth:Jwt</c>;
/// every default is the secure one. The stock <c>JwtBearerOptions</c> (events included) stay available for the same
/// scheme name; the settings here take precedence over the token-validation parts of them.
/// </summary>
public sealed class JwtAuthenticationOptions
{
    /// <summary>The JWKS document holding the issuer's public signing keys, e.g. <c>https://auth.internal/.well-known/jwks.json</c>.</summary>
    public Uri? JwksUri { get; set; }

    /// <summary>
    /// The issuer's base address; its OpenID Connect discovery document (<c>/.well-known/openid-configuration</c>)
    /// names the JWKS. Also the default <see cref="Issuer"/>.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>The discovery document's address, when it is not under <see cref="Authority"/>.</summary>
    public Uri? MetadataAddress { get; set; }

    /// <summary>
    /// Validate tokens against the keys of this application's own signing key ring (see <c>AddSigningKeyRing</c>) instead
    /// of a remote JWKS: for an auth service that accepts its own tokens, and for local development.
    /// </summary>
    public bool UseLocalSigningKeys { get; set; }

    /// <summary>
    /// The exact <c>iss</c> a token must carry. Required unless <see cref="Authority"/> or <see cref="ValidIssuers"/> is
    /// set; when several are configured, a token's <c>iss</c> must equal one of them.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// Further exact issuers accepted next to <see cref="Issuer"/> (bound from <c>LayeredAuth:Jwt:ValidIssuers:0</c>, ...).
    /// Every issuer shares the one key source (<see cref="JwksUri"/>, <see cref="Authority"/> or the local key ring): list
    /// here the names one identity provider issues under (for example a tenant's v1 and v2 issuers), not unrelated issuers
    /// whose keys live elsewhere.
    /// </summary>
    public IList<string> ValidIssuers { get; set; } = [];

    /// <summary>
    /// The identifier of this API: a token's <c>aud</c> must contain it, or one of <see cref="ValidAudiences"/>. Required
    /// unless <see cref="ValidAudiences"/> is set.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Further audiences accepted next to <see cref="Audience"/> (bound from <c>LayeredAuth:Jwt:ValidAudiences:0</c>, ...),
    /// for example the API's application id URI and its client id. A token's <c>aud</c> must contain at least one.
    /// </summary>
    public IList<string> ValidAudiences { get; set; } = [];

    /// <summary>
    /// Scopes granted per app role of the token's <c>roles</c> claim (app permissions of client-credentials tokens), each
    /// value space-separated: <c>Orders.ReadWrite -&gt; "orders:read orders:write"</c>. Roles match exactly (ordinal);
    /// a role without an entry grants nothing. Bound from <c>LayeredAuth:Jwt:RoleScopes:&lt;role&gt;</c>; add in code with
    /// <see cref="MapRole"/>.
    /// </summary>
    public IDictionary<string, string> RoleScopes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The signature algorithms accepted; empty (the default) means <c>RS256</c> only. <c>none</c> and HMAC algorithms
    /// can never be accepted. (Empty rather than pre-filled, so a configured list replaces the default instead of adding to it.)
    /// </summary>
    public IList<string> ValidAlgorithms { get; set; } = [];

    /// <summary>The tolerance for clock differences when checking <c>exp</c> and <c>nbf</c>: 30 seconds by default, at most 5 minutes.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest lifetime a token may have: from <c>iat</c> (or from now, without one) to <c>exp</c>, give or take
    /// <see cref="ClockSkew"/>. A token minted to live longer is refused even while it has little time left.
    /// <see langword="null"/> (the default) accepts any lifetime; at most 24 hours. The posture report flags an unset or
    /// longer-than-15-minutes value (AP005): short-lived tokens are what makes a leaked one expire on its own.
    /// </summary>
    public TimeSpan? MaxTokenLifetime { get; set; }

    /// <summary>
    /// The <c>typ</c> header every token must carry, e.g. <c>at+jwt</c> (RFC 9068; <c>application/at+jwt</c> is accepted too).
    /// <see langword="null"/> (the default) does not check it.
    /// </summary>
    public string? RequiredTokenType { get; set; }

    /// <summary>The longest token accepted, in characters; 16 KiB by default. Longer tokens are refused before any decoding.</summary>
    public int MaxTokenSize { get; set; } = 16 * 1024;

    /// <summary>The deepest JSON nesting accepted in a token's header or payload; 16 by default.</summary>
    public int MaxJsonDepth { get; set; } = 16;

    /// <summary>The smallest RSA key accepted, in bits, at JWKS load and at verification; 2048 by default (and at least 2048).</summary>
    public int MinimumRsaKeySize { get; set; } = 2048;

    /// <summary>How long a fetched JWKS is used when its response carries no <c>Cache-Control: max-age</c>; 1 hour by default.</summary>
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The shortest time a fetched JWKS is used before a scheduled refresh, whatever its <c>max-age</c> says; 5 minutes by default.</summary>
    public TimeSpan JwksMinimumRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest time a fetched JWKS is used before a scheduled refresh, whatever its <c>max-age</c> says; 24 hours by default.</summary>
    public TimeSpan JwksMaximumRefreshInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The least time between two fetches caused by tokens with an unknown <c>kid</c> (or by a failed fetch); 30 seconds by
    /// default. A flood of random key ids causes at most one fetch per cooldown.
    /// </summary>
    public TimeSpan JwksRefreshCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one JWKS or discovery fetch may take; 5 seconds by default.</summary>
    public TimeSpan JwksFetchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest JWKS or discovery response read, in bytes; 256 KiB by default.</summary>
    public int JwksMaxResponseSize { get; set; } = 256 * 1024;

    /// <summary>
    /// Whether JWKS and discovery addresses must use HTTPS. <see langword="null"/> (the default) means required everywhere
    /// except in the Development environment.
    /// </summary>
    public bool? RequireHttpsMetadata { get; set; }

    /// <summary>
    /// Whether validated tokens are cached (keyed by a keyed hash of the token, never past their <c>exp</c>); on by
    /// default.
    /// </summary>
    public bool EnableTokenCache { get; set; } = true;

    /// <summary>
    /// The most validated tokens kept in the cache; 10,000 by default. Each entry is charged at least
    /// <see cref="TokenCacheSizeLimitBytes"/> / <see cref="TokenCacheSize"/> bytes, so both bounds hold.
    /// </summary>
    public int TokenCacheSize { get; set; } = 10_000;

    /// <summary>
    /// The most memory the validated-token cache may hold, in bytes, estimated from the claims each entry keeps; 4 MiB
    /// by default (about 2,000 access tokens of ten claims, or 120 with a 15 KB claim). Under the server garbage
    /// collector a process commits several times its long-lived data for its allocation budget, so this default keeps a
    /// full cache's whole cost to the process under 64 MiB. Once the cache is nearly full, a token gets in only if it was presented more often lately
    /// than the entries last let go, and the least often, then least recently, used entries are dropped first: a flood of
    /// distinct tokens, each presented once, neither displaces the tokens in steady use nor churns the cache.
    /// </summary>
    public long TokenCacheSizeLimitBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Grants scopes to every token whose <c>roles</c> claim contains an app role.</summary>
    /// <param name="role">The app role, exactly as the token carries it.</param>
    /// <param name="scopes">The scopes granted.</param>
    /// <returns>These options.</returns>
    public JwtAuthenticationOptions MapRole(string role, params string[] scopes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            if (!Authorization.ScopeClaimNormalizer.IsValidScope(scope))
            {
                throw new ArgumentException($"'{scope}' is not a valid scope.", nameof(scopes));
            }
        }

        RoleScopes[role] = RoleScopes.TryGetValue(role, out var existing) && !string.IsNullOrWhiteSpace(existing)
            ? existing + " " + string.Join(' ', scopes)
            : string.Join(' ', scopes);
        return this;
    }

    /// <summary>Checks the options and throws an <see cref="InvalidOperationException"/> naming the first wrong one.</summary>
    public void Validate()
    {
        const string prefix = "LayeredAuth:Jwt:";
        var sources = (JwksUri is null ? 0 : 1) + (Authority is null && MetadataAddress is null ? 0 : 1) + (UseLocalSigningKeys ? 1 : 0);
        if (sources == 0)
        {
            throw new InvalidOperationException($"{prefix}JwksUri (or {prefix}Authority, {prefix}MetadataAddress, {prefix}UseLocalSigningKeys) is required: it says where the signing keys come from.");
        }

        if (sources > 1)
        {
            throw new InvalidOperationException($"{prefix}JwksUri, {prefix}Authority/MetadataAddress and {prefix}UseLocalSigningKeys are exclusive: set exactly one.");
        }

        if (JwksUri is { IsAbsoluteUri: false })
        {
            throw new InvalidOperationException($"{prefix}JwksUri must be an absolute address.");
        }

        if (Authority is not null && !Uri.TryCreate(Authority, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"{prefix}Authority must be an absolute address.");
        }

        if (MetadataAddress is { IsAbsoluteUri: false })
        {
            throw new InvalidOperationException($"{prefix}MetadataAddress must be an absolute address.");
        }

        if (string.IsNullOrWhiteSpace(Issuer) && Authority is null && (ValidIssuers is null || ValidIssuers.Count == 0))
        {
            throw new InvalidOperationException($"{prefix}Issuer (or {prefix}ValidIssuers) is required.");
        }

        RequireNonBlank(ValidIssuers, $"{prefix}ValidIssuers");
        if (string.IsNullOrWhiteSpace(Audience) && (ValidAudiences is null || ValidAudiences.Count == 0))
        {
            throw new InvalidOperationException($"{prefix}Audience (or {prefix}ValidAudiences) is required.");
        }

        RequireNonBlank(ValidAudiences, $"{prefix}ValidAudiences");
        foreach (var (role, granted) in RoleScopes)
        {
            var any = false;
            foreach (var scope in Authorization.ScopeClaimNormalizer.Split(granted))
            {
                any = true;
                if (!Authorization.ScopeClaimNormalizer.IsValidScope(scope))
                {
                    throw new InvalidOperationException($"{prefix}RoleScopes:{role} contains '{scope}', which is not a valid scope.");
                }
            }

            if (!any)
            {
                throw new InvalidOperationException($"{prefix}RoleScopes:{role} grants no scope: give at least one, or remove the entry.");
            }
        }

        foreach (var algorithm in EffectiveAlgorithms)
        {
            if (!JwtAlgorithms.IsSupportedAsymmetric(algorithm))
            {
                throw new InvalidOperationException($"{prefix}ValidAlgorithms contains '{algorithm}': only RS256/384/512, PS256/384/512 and ES256/384/512 are accepted.");
            }
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException($"{prefix}ClockSkew must be between 0 and 5 minutes.");
        }

        if (MaxTokenLifetime is { } lifetime && (lifetime <= TimeSpan.Zero || lifetime > TimeSpan.FromHours(24)))
        {
            throw new InvalidOperationException($"{prefix}MaxTokenLifetime must be more than 0 and at most 24 hours, or unset.");
        }

        if (MaxTokenSize is < 256 or > 256 * 1024)
        {
            throw new InvalidOperationException($"{prefix}MaxTokenSize must be between 256 and 262144 characters.");
        }

        if (MaxJsonDepth is < 2 or > 64)
        {
            throw new InvalidOperationException($"{prefix}MaxJsonDepth must be between 2 and 64.");
        }

        if (MinimumRsaKeySize < 2048)
        {
            throw new InvalidOperationException($"{prefix}MinimumRsaKeySize must be at least 2048.");
        }

        if (JwksMinimumRefreshInterval <= TimeSpan.Zero || JwksMaximumRefreshInterval < JwksMinimumRefreshInterval)
        {
            throw new InvalidOperationException($"{prefix}JwksMinimumRefreshInterval must be positive and not above {prefix}JwksMaximumRefreshInterval.");
        }

        if (JwksRefreshInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{prefix}JwksRefreshInterval must be positive.");
        }

        if (JwksRefreshCooldown <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{prefix}JwksRefreshCooldown must be positive.");
        }

        if (JwksFetchTimeout <= TimeSpan.Zero || JwksFetchTimeout > TimeSpan.FromMinutes(1))
        {
            throw new InvalidOperationException($"{prefix}JwksFetchTimeout must be between 0 and 1 minute.");
        }

        if (JwksMaxResponseSize is < 1024 or > 16 * 1024 * 1024)
        {
            throw new InvalidOperationException($"{prefix}JwksMaxResponseSize must be between 1 KiB and 16 MiB.");
        }

        if (TokenCacheSize < 1)
        {
            throw new InvalidOperationException($"{prefix}TokenCacheSize must be positive.");
        }

        if (TokenCacheSizeLimitBytes < 64 * 1024)
        {
            throw new InvalidOperationException($"{prefix}TokenCacheSizeLimitBytes must be at least 64 KiB.");
        }
    }

    internal IReadOnlyList<string> EffectiveAlgorithms =>
        ValidAlgorithms is null || ValidAlgorithms.Count == 0 ? [JwtAuthenticationDefaults.DefaultAlgorithm] : [.. ValidAlgorithms];

    /// <summary>Every accepted issuer: <see cref="Issuer"/> (or <see cref="Authority"/>), then <see cref="ValidIssuers"/>.</summary>
    internal IReadOnlyList<string> EffectiveIssuers => Distinct(string.IsNullOrWhiteSpace(Issuer) ? Authority : Issuer, ValidIssuers);

    /// <summary>Every accepted audience: <see cref="Audience"/>, then <see cref="ValidAudiences"/>.</summary>
    internal IReadOnlyList<string> EffectiveAudiences => Distinct(Audience, ValidAudiences);

    private static List<string> Distinct(string? first, IList<string>? more)
    {
        var all = new List<string>();
        if (!string.IsNullOrWhiteSpace(first))
        {
            all.Add(first);
        }

        foreach (var value in more ?? [])
        {
            if (!string.IsNullOrWhiteSpace(value) && !all.Contains(value, StringComparer.Ordinal))
            {
                all.Add(value);
            }
        }

        return all;
    }

    private static void RequireNonBlank(IList<string>? values, string option)
    {
        if (values is null)
        {
            return;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(values[i]) || values[i].Trim().Length != values[i].Length)
            {
                throw new InvalidOperationException($"{option}:{i} is empty or has surrounding spaces; every entry must be an exact value.");
            }
        }
    }
}
