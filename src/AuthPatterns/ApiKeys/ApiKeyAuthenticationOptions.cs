using Microsoft.AspNetCore.Authentication;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// Options of the API-key scheme, bound from <c>LayeredAuth:ApiKeys</c>. Every option can also be set in code.
/// </summary>
public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Creates the options with their defaults.</summary>
    public ApiKeyAuthenticationOptions() => Events = new ApiKeyAuthenticationEvents();

    /// <summary>The header the key is read from. Default <c>X-API-Key</c>. <c>Authorization: ApiKey &lt;key&gt;</c> is read too.</summary>
    public string HeaderName { get; set; } = ApiKeyAuthenticationDefaults.HeaderName;

    /// <summary>Whether <c>Authorization: ApiKey &lt;key&gt;</c> is accepted. Default <see langword="true"/>.</summary>
    public bool AcceptAuthorizationHeader { get; set; } = true;

    /// <summary>The key prefix: 1 to 16 lower-case ASCII letters or digits. Default <c>ak</c>.</summary>
    public string Prefix { get; set; } = ApiKeyFormat.DefaultPrefix;

    /// <summary>Whether <c>test</c> keys are accepted. Default <see langword="true"/>; turn it off in production if you issue test keys.</summary>
    public bool AcceptTestKeys { get; set; } = true;

    /// <summary>
    /// How long a verified key stays in the in-memory cache (never past its expiry). Default 60 seconds. Without a
    /// revocation notifier, this is how long a revocation takes to reach the other instances.
    /// </summary>
    public TimeSpan CacheLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The most verified keys kept in the cache. Default 10,000.</summary>
    public int CacheSizeLimit { get; set; } = 10_000;

    /// <summary>How long an unknown key id is remembered as unknown. Default 5 seconds.</summary>
    public TimeSpan NotFoundCacheLifetime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Argon2id memory, in KiB. Default 19456 (19 MiB, OWASP).</summary>
    public int HashMemorySize { get; set; } = 19456;

    /// <summary>Argon2id iterations. Default 2 (OWASP).</summary>
    public int HashIterations { get; set; } = 2;

    /// <summary>Argon2id lanes. Default 1 (OWASP; each lane costs a thread-pool task).</summary>
    public int HashParallelism { get; set; } = 1;

    /// <summary>
    /// How many Argon2id verifications may run at once. Default: half the processor count, at least one, so a burst of
    /// first uses (each costing tens of milliseconds of one core) leaves the other half to requests with cached keys.
    /// </summary>
    public int MaxConcurrentVerifications { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>How many more may wait for a slot; beyond that, requests are shed with 503. Default: twice the processor count.</summary>
    public int MaxQueuedVerifications { get; set; } = 2 * Environment.ProcessorCount;

    /// <summary>The <c>Retry-After</c> sent with a 503 when verifications are shed. Default 1 second.</summary>
    public TimeSpan OverloadRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many Argon2id verifications one key id may cost per <see cref="FailedAttemptWindow"/>, from all addresses
    /// together. Default 10. Once spent, each address that sent no wrong secret for the id in the window still gets one
    /// verification, so guessers cannot lock the owner out; addresses that guessed get 429 with <c>Retry-After</c>.
    /// </summary>
    public int MaxVerificationsPerKey { get; set; } = 10;

    /// <summary>How many Argon2id verifications one client address may cost per <see cref="FailedAttemptWindow"/>. Default 30.</summary>
    public int MaxVerificationsPerAddress { get; set; } = 30;

    /// <summary>The window the two budgets above refill over, and the <c>Retry-After</c> of a throttled answer. Default 1 minute.</summary>
    public TimeSpan FailedAttemptWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Query parameters that always count as a key sent in the URL (besides any value that looks like a key).</summary>
    public IList<string> QueryParameterNames { get; } = ["api_key", "apikey", "api-key", "x-api-key"];

    /// <summary>Whether last-used time and address are recorded (in batches). Default <see langword="true"/>.</summary>
    public bool RecordLastUse { get; set; } = true;

    /// <summary>Whether one usage event per authenticated request is stored (key, time, method, route, status, address).</summary>
    public bool RecordUsageEvents { get; set; }

    /// <summary>How long usage events are kept. Default 30 days.</summary>
    public TimeSpan UsageEventRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Whether requests are counted per key, hour and outcome (served, and refused attempts naming a stored key) and the
    /// counts written to the store in batches, for the dashboard. Default <see langword="true"/>.
    /// </summary>
    public bool RecordUsageCounts { get; set; } = true;

    /// <summary>How long usage counts are kept. Default 90 days.</summary>
    public TimeSpan UsageCountRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often recorded uses are written to the store. Default 10 seconds.</summary>
    public TimeSpan UsageFlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The lifetime of new keys when the creator names none; <see langword="null"/> (default) for keys that never expire.</summary>
    public TimeSpan? DefaultKeyLifetime { get; set; }

    /// <summary>
    /// The scope that lets a caller of the management endpoints (<c>MapApiKeyManagement</c>) manage other owners' keys
    /// in its tenant (every tenant, for a caller without a <c>tenant</c> claim). Default <c>apikeys:admin</c>. Without it
    /// a caller manages only its own keys. Either way a caller grants only scopes it holds itself.
    /// </summary>
    public string ManagementAdminScope { get; set; } = ApiKeyAuthenticationDefaults.ManagementAdminScope;

    /// <summary>
    /// Creates the key store. <see langword="null"/> (default): the <see cref="IApiKeyStore"/> registered in the services,
    /// or else an in-memory store. <c>UseEntityFrameworkCore&lt;TContext&gt;()</c> sets it.
    /// </summary>
    public Func<IServiceProvider, IApiKeyStore>? StoreFactory { get; set; }

    /// <summary>The events the handler raises; replace them or set <see cref="AuthenticationSchemeOptions.EventsType"/>.</summary>
    public new ApiKeyAuthenticationEvents Events
    {
        get => (ApiKeyAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        const string Section = "LayeredAuth:ApiKeys:";
        if (string.IsNullOrWhiteSpace(HeaderName))
        {
            throw new ArgumentException($"{Section}{nameof(HeaderName)} is required.", nameof(HeaderName));
        }

        if (!ApiKeyFormat.IsValidPrefix(Prefix))
        {
            throw new ArgumentException($"{Section}{nameof(Prefix)} must be 1 to 16 lower-case ASCII letters or digits; '{Prefix}' is not.", nameof(Prefix));
        }

        if (!Authorization.ScopeClaimNormalizer.IsValidScope(ManagementAdminScope))
        {
            throw new ArgumentException($"{Section}{nameof(ManagementAdminScope)} must be one scope (printable ASCII, no spaces or quotes); '{ManagementAdminScope}' is not.", nameof(ManagementAdminScope));
        }

        Positive(CacheLifetime, nameof(CacheLifetime));
        Positive(NotFoundCacheLifetime, nameof(NotFoundCacheLifetime));
        Positive(OverloadRetryAfter, nameof(OverloadRetryAfter));
        Positive(FailedAttemptWindow, nameof(FailedAttemptWindow));
        Positive(UsageFlushInterval, nameof(UsageFlushInterval));
        Positive(UsageEventRetention, nameof(UsageEventRetention));
        Positive(UsageCountRetention, nameof(UsageCountRetention));
        if (DefaultKeyLifetime is { } lifetime)
        {
            Positive(lifetime, nameof(DefaultKeyLifetime));
        }

        AtLeast(CacheSizeLimit, 1, nameof(CacheSizeLimit));
        // The upper bounds are the ones the verifier accepts in a stored hash: a key hashed beyond them could never verify.
        Between(HashMemorySize, 8 * Math.Max(1, HashParallelism), ApiKeyHasher.MaxMemorySize, nameof(HashMemorySize));
        Between(HashIterations, 1, ApiKeyHasher.MaxIterations, nameof(HashIterations));
        Between(HashParallelism, 1, ApiKeyHasher.MaxParallelism, nameof(HashParallelism));
        AtLeast(MaxConcurrentVerifications, 1, nameof(MaxConcurrentVerifications));
        AtLeast(MaxQueuedVerifications, 0, nameof(MaxQueuedVerifications));
        AtLeast(MaxVerificationsPerKey, 1, nameof(MaxVerificationsPerKey));
        AtLeast(MaxVerificationsPerAddress, 1, nameof(MaxVerificationsPerAddress));

        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{Section}{name} must be positive.");
            }
        }

        static void Between(int value, int minimum, int maximum, string name)
        {
            if (value < minimum || value > maximum)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{Section}{name} must be between {minimum} and {maximum}.");
            }
        }

        static void AtLeast(int value, int minimum, string name)
        {
            if (value < minimum)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{Section}{name} must be at least {minimum}.");
            }
        }
    }

    internal Argon2Parameters HashParameters => new(HashMemorySize, HashIterations, HashParallelism);
}
