using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Asks the portal about a session at most once per cache lifetime and request shape: a positive answer is cached in the
/// scheme's <see cref="CredentialCache{TValue}"/> under one keyed HMAC of what the portal's rules see (method, scheme,
/// host, path and query, client address) and the cookie, so one host's, method's or path's answer never serves another.
/// Concurrent requests with the same key share one call, and the number of calls in flight is bounded (excess requests
/// are shed at once, never queued), as is their rate (<c>MaxVerificationsPerSecond</c>, with a share reserved for sessions
/// the portal vouched for within <see cref="RecentlySignedInLifetime"/>). A "not signed in" answer is kept
/// briefly under the HMAC of the cookie alone, so a cookie the portal does not know is not asked about again at once.
/// </summary>
internal sealed class ForwardAuthSessionVerifier : IDisposable
{
    /// <summary>
    /// How long a session the portal vouched for may spend the reserved share of the verify budget: longer than any
    /// answer cache lifetime (10 minutes at most), so a user whose cached answer expired during a flood still gets in.
    /// </summary>
    internal static readonly TimeSpan RecentlySignedInLifetime = TimeSpan.FromHours(1);

    private static readonly object Vouched = new();

    private readonly ConcurrentDictionary<string, SchemeState> _schemes = new(StringComparer.Ordinal);
    private readonly ForwardAuthVerifyClient _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ForwardAuthSessionVerifier> _logger;
    private readonly IForwardAuthSignOutNotifier? _signOuts;

    private readonly ForwardAuthTelemetry _telemetry;

    public ForwardAuthSessionVerifier(
        ForwardAuthVerifyClient client,
        TimeProvider timeProvider,
        ILogger<ForwardAuthSessionVerifier> logger,
        ForwardAuthTelemetry telemetry,
        IForwardAuthSignOutNotifier? signOuts = null)
    {
        _telemetry = telemetry;
        _client = client;
        _timeProvider = timeProvider;
        _logger = logger;
        _signOuts = signOuts;
    }

    public async Task<(ForwardAuthVerifyResult Result, bool FromCache)> VerifyAsync(
        string scheme,
        ForwardAuthAuthenticationOptions options,
        string cookieHeader,
        ForwardedRequest original,
        CancellationToken requestAborted)
    {
        var state = State(scheme, options);
        var key = CacheKey(state.Cache, cookieHeader, original, options.CachePathPrefixes);
        if (CachedAnswer(state, key) is { } identity)
        {
            return (new ForwardAuthVerifyResult(ForwardAuthVerifyStatus.SignedIn, identity), true);
        }

        // The session's own key is needed only past a warm answer: for the "not signed in" answers and to tie a new
        // answer to its session, so a sign-out finds it.
        var session = state.Cache.KeyOf(cookieHeader);

        // The portal said moments ago that it does not know this session: the same answer, without asking again. Kept
        // apart from the positive answers, so a flood of made-up cookies never evicts a signed-in user's answer.
        if (state.NotSignedIn.TryGet(session, out var refused))
        {
            _telemetry.CacheLookup(hit: true);
            _logger.NotSignedInCached();
            return (refused, true);
        }

        _telemetry.CacheLookup(hit: false);

        // The shared call is bounded by its own timeout, never by one caller's cancellation.
        var call = new PortalCall(this, state, key, session, options, cookieHeader, original);
        return (await state.Cache.ShareAsync(key, call, static c => c.Verifier.CallPortalAsync(c), requestAborted), false);
    }

    /// <summary>
    /// The identity of a positive answer cached for this cookie and request shape, or <see langword="null"/>. Only a hit
    /// is counted: a miss is counted once, by the <see cref="VerifyAsync"/> that follows it.
    /// </summary>
    public ForwardAuthIdentity? TryGetCached(string scheme, ForwardAuthAuthenticationOptions options, string cookieHeader, ForwardedRequest original)
    {
        var state = State(scheme, options);
        return CachedAnswer(state, CacheKey(state.Cache, cookieHeader, original, options.CachePathPrefixes));
    }

    // A positive answer cached under this key, counted as a hit; a miss is counted by the caller that goes on to ask.
    private ForwardAuthIdentity? CachedAnswer(SchemeState state, CredentialKey key)
    {
        if (!state.Cache.TryGet(key, out var cached))
        {
            return null;
        }

        _telemetry.CacheLookup(hit: true);
        return cached.Identity;
    }

    /// <summary>
    /// Drops every cached answer for a cookie, so a sign-out through this service takes effect here at once, and
    /// announces it to the other instances when they share a broadcast channel.
    /// </summary>
    public Task ForgetAsync(string scheme, ForwardAuthAuthenticationOptions options, string cookieHeader, CancellationToken cancellationToken)
    {
        var state = State(scheme, options);
        var session = state.Cache.KeyOf(cookieHeader);
        Forget(scheme, session);
        return _signOuts is null ? Task.CompletedTask : _signOuts.PublishAsync(scheme, session, cancellationToken);
    }

    /// <summary>Drops every cached answer for a session, named by the answer cache's HMAC of its cookie.</summary>
    public void Forget(string scheme, CredentialKey session)
    {
        if (_schemes.TryGetValue(scheme, out var state))
        {
            state.Cache.RemoveWhere(session, static (entry, session) => entry.Session == session);
            state.NotSignedIn.Remove(session);
            state.RecentlySignedIn.Remove(session);
        }
    }

    /// <summary>
    /// Drops every cached answer of every scheme and starts the caches again under the current shared secret: after the
    /// broadcast channel was down, sign-outs may have been missed, and the shared secret may only now be known.
    /// </summary>
    public void Reset()
    {
        foreach (var scheme in _schemes.Keys)
        {
            if (_schemes.TryRemove(scheme, out var state))
            {
                // Requests still holding the old state finish with it; it is not disposed under them.
                state.Cache.Clear();
                state.NotSignedIn.Clear();
                state.RecentlySignedIn.Clear();
            }
        }
    }

    public void Dispose()
    {
        foreach (var state in _schemes.Values)
        {
            state.Cache.Dispose();
            state.NotSignedIn.Dispose();
            state.RecentlySignedIn.Dispose();
            state.Limiter.Dispose();
        }
    }

    /// <summary>
    /// The cache key: one keyed HMAC over everything the portal's access rules can see of the request, then the cookie.
    /// Under a configured path prefix the path and query count as the prefix; otherwise they count exactly as sent. The
    /// cookie itself never enters the composed text: it goes to the HMAC as it is.
    /// </summary>
    internal static CredentialKey CacheKey(
        CredentialCache<CachedSession> cache,
        string cookieHeader,
        ForwardedRequest original,
        IList<string> pathPrefixes)
    {
        var uri = original.Uri;
        var path = uri.AsSpan(0, uri.IndexOf('?') is >= 0 and var query ? query : uri.Length);
        var longest = -1;
        for (var i = 0; i < pathPrefixes.Count; i++)
        {
            var prefix = pathPrefixes[i];
            if (path.StartsWith(prefix, StringComparison.Ordinal)
                && (path.Length == prefix.Length || prefix[^1] == '/' || path[prefix.Length] == '/')
                && (longest < 0 || prefix.Length > pathPrefixes[longest].Length))
            {
                longest = i;
            }
        }

        // Each request part is length-prefixed, so the composed text ends where it says and the cookie after it is
        // unambiguous: no choice of values can make two different requests share a key. The text is composed in a pooled buffer, so no string is built per
        // request; the buffer is cleared on return, since a query can carry a secret.
        var (tag, pathPart) = longest >= 0 ? ("prefix:", pathPrefixes[longest]) : ("uri:", uri);
        var client = original.For ?? string.Empty;
        var capacity = (5 * (11 + 2)) + tag.Length
            + original.Method.Length + original.Proto.Length + original.Host.Length + pathPart.Length + client.Length;
        var buffer = ArrayPool<char>.Shared.Rent(capacity);
        try
        {
            var text = buffer.AsSpan();
            var at = 0;
            AppendPart(text, ref at, string.Empty, original.Method);
            AppendPart(text, ref at, string.Empty, original.Proto);
            AppendPart(text, ref at, string.Empty, original.Host, lowerCase: true);
            AppendPart(text, ref at, tag, pathPart);
            AppendPart(text, ref at, string.Empty, client);
            return cache.KeyOf(text[..at], cookieHeader);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer, clearArray: true);
        }

        static void AppendPart(Span<char> text, ref int at, string tag, string value, bool lowerCase = false)
        {
            (tag.Length + value.Length).TryFormat(text[at..], out var written, provider: CultureInfo.InvariantCulture);
            at += written;
            text[at++] = ':';
            tag.CopyTo(text[at..]);
            at += tag.Length;
            at += lowerCase ? value.AsSpan().ToLowerInvariant(text[at..]) : Copy(value, text[at..]);
            text[at++] = '\n';
        }

        static int Copy(string value, Span<char> destination)
        {
            value.CopyTo(destination);
            return value.Length;
        }
    }

    private SchemeState State(string scheme, ForwardAuthAuthenticationOptions options) =>
        _schemes.TryGetValue(scheme, out var state) ? state : AddState(scheme, options);

    private SchemeState AddState(string scheme, ForwardAuthAuthenticationOptions options)
    {
        var state = _schemes.GetOrAdd(scheme, static (_, s) => new SchemeState(s.Options, s.Time, s.SignOuts?.SharedSecret), (Options: options, Time: _timeProvider, SignOuts: _signOuts));
        _telemetry.CachedAnswers.Observe(scheme, () => state.Cache.Count);
        _telemetry.CachedRefusals.Observe(scheme, () => state.NotSignedIn.Count);
        return state;
    }

    private async Task<ForwardAuthVerifyResult> CallPortalAsync(PortalCall call)
    {
        var (state, options) = (call.State, call.Options);
        if (!state.Limiter.Wait(0))
        {
            if (state.Overload.ShouldWarn(out var overloaded))
            {
                _logger.VerifyOverloaded(options.MaxConcurrentVerifications, overloaded);
            }

            _telemetry.Verification("overloaded");
            return ForwardAuthVerifyResult.Overloaded;
        }

        try
        {
            // The rate bound, past the concurrency bound: a call shed for concurrency spends no budget. A session the
            // portal vouched for recently may spend the reserve once the open share is gone; a made-up cookie may not.
            if (!state.Budget.TryTake() && !(state.RecentlySignedIn.TryGet(call.Session, out _) && state.Budget.TryTakeReserved()))
            {
                if (state.Budget.ShouldWarn(out var shed))
                {
                    _logger.VerifyBudgetSpent(options.MaxVerificationsPerSecond, shed);
                }

                _telemetry.Verification("rate_limited");
                return ForwardAuthVerifyResult.RateLimited;
            }

            // Read before the call: a sign-out while it runs keeps its answer out of the cache.
            var generation = state.Cache.Generation;
            var refusedGeneration = state.NotSignedIn.Generation;
            using var timeout = new CancellationTokenSource(options.VerifyTimeout, _timeProvider);
            var result = await _client.VerifyAsync(options, call.CookieHeader, call.Original, timeout.Token);
            if (result.Status == ForwardAuthVerifyStatus.SignedIn)
            {
                // No generation here: a sign-out racing this answer may leave the session a claim on the reserve, which
                // only lets it ask the portal again, never in; and the removals below must not undo other sessions' claims.
                var now = _timeProvider.GetUtcNow();
                state.RecentlySignedIn.Set(call.Session, Vouched, now + RecentlySignedInLifetime);
                if (options.CacheDuration > TimeSpan.Zero)
                {
                    state.Cache.Set(call.Key, new CachedSession(result.Identity!, call.Session), now + options.CacheDuration, generation: generation);
                }
            }
            else if (result.Status == ForwardAuthVerifyStatus.NotSignedIn && state.RecentlySignedIn.TryGet(call.Session, out _))
            {
                // A session the portal no longer knows loses its claim on the reserve at once.
                state.RecentlySignedIn.Remove(call.Session);
            }

            if (result.Status == ForwardAuthVerifyStatus.NotSignedIn && options.NotSignedInCacheDuration > TimeSpan.Zero)
            {
                state.NotSignedIn.Set(
                    call.Session,
                    result,
                    _timeProvider.GetUtcNow() + options.NotSignedInCacheDuration,
                    generation: refusedGeneration);
            }

            return result;
        }
        finally
        {
            state.Limiter.Release();
        }
    }

    /// <summary>A cached positive answer and the session it belongs to (the HMAC of the cookie, never the cookie).</summary>
    internal sealed record CachedSession(ForwardAuthIdentity Identity, CredentialKey Session);

    private sealed record PortalCall(
        ForwardAuthSessionVerifier Verifier,
        SchemeState State,
        CredentialKey Key,
        CredentialKey Session,
        ForwardAuthAuthenticationOptions Options,
        string CookieHeader,
        ForwardedRequest Original);

    /// <summary>
    /// One scheme's answers (at most <c>CacheSizeLimit</c>, least recently used dropped first) and its call limits. The
    /// bound is in entries: each holds what the portal's response headers said (user, name and email of at most 1 024
    /// characters each, and the groups), and those headers together are capped by the verify client's
    /// <c>MaxResponseHeadersLength</c> (64 KiB), so the cache holds at most <c>CacheSizeLimit</c> times that; typical
    /// answers are a few hundred bytes.
    /// </summary>
    private sealed class SchemeState(ForwardAuthAuthenticationOptions options, TimeProvider time, byte[]? sharedSecret)
    {
        public CredentialCache<CachedSession> Cache { get; } = new(options.CacheSizeLimit, time, sharedSecret);

        // Sessions the portal does not know, by the HMAC of the cookie alone (an unknown session is unknown on every
        // path): each entry is a key and a shared answer, about 100 bytes, so the default bound costs about 1 MB.
        public CredentialCache<ForwardAuthVerifyResult> NotSignedIn { get; } = new(options.CacheSizeLimit, time);

        // Sessions the portal vouched for within RecentlySignedInLifetime, by the HMAC of the cookie alone: only they may
        // spend the reserved share of the verify budget. Only a signed-in answer adds one, so a flood of made-up cookies
        // never does; a key and a shared marker per entry, bounded like the caches above.
        public CredentialCache<object> RecentlySignedIn { get; } = new(options.CacheSizeLimit, time);

        public SemaphoreSlim Limiter { get; } = new(options.MaxConcurrentVerifications, options.MaxConcurrentVerifications);

        public ForwardAuthVerifyBudget Budget { get; } = new(options.MaxVerificationsPerSecond, time);

        public ShedWarning Overload { get; } = new(time);
    }
}
