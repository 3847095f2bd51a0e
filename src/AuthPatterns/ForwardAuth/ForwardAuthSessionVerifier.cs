using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Asks the portal about a session at most once per cache lifetime and request shape: a positive answer is cached under
/// HMAC-SHA256(per-process key, cookie) joined with HMAC-SHA256(per-process key, what the portal's rules see: method,
/// scheme, host, path and query, client address), so one host's, method's or path's answer never serves another.
/// Concurrent requests with the same key share one call, and the number of calls in flight is bounded (excess requests
/// are shed at once, never queued).
/// </summary>
internal sealed class ForwardAuthSessionVerifier
{
    private const char KeySeparator = '|';

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, SchemeState> _schemes = new(StringComparer.Ordinal);
    private readonly ForwardAuthVerifyClient _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ForwardAuthSessionVerifier> _logger;

    public ForwardAuthSessionVerifier(ForwardAuthVerifyClient client, TimeProvider timeProvider, ILogger<ForwardAuthSessionVerifier> logger)
    {
        _client = client;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task<(ForwardAuthVerifyResult Result, bool FromCache)> VerifyAsync(
        string scheme,
        ForwardAuthAuthenticationOptions options,
        string cookieHeader,
        ForwardedRequest original,
        CancellationToken requestAborted)
    {
        var state = State(scheme, options);
        var key = CacheKey(cookieHeader, original, options.CachePathPrefixes);
        if (state.TryGet(key, _timeProvider.GetUtcNow(), out var identity))
        {
            ForwardAuthTelemetry.Cache(hit: true);
            return (new ForwardAuthVerifyResult(ForwardAuthVerifyStatus.SignedIn, identity), true);
        }

        ForwardAuthTelemetry.Cache(hit: false);
        Lazy<Task<ForwardAuthVerifyResult>>? created = null;
        created = new Lazy<Task<ForwardAuthVerifyResult>>(() => CallPortalAsync(state, key, created!, options, cookieHeader, original));
        var call = state.InFlight.GetOrAdd(key, created);

        // The shared call is bounded by its own timeout, never by one caller's cancellation.
        return (await call.Value.WaitAsync(requestAborted), false);
    }

    /// <summary>Drops every cached answer for a cookie, so a sign-out through this service takes effect here at once.</summary>
    public void Forget(string scheme, string cookieHeader)
    {
        if (_schemes.TryGetValue(scheme, out var state))
        {
            state.RemoveSession(SessionKey(cookieHeader) + KeySeparator);
        }
    }

    /// <summary>
    /// The cache key: the session's MAC, then the MAC of everything the portal's access rules can see of the request.
    /// Under a configured path prefix the path and query count as the prefix; otherwise they count exactly as sent.
    /// </summary>
    internal string CacheKey(string cookieHeader, ForwardedRequest original, IList<string> pathPrefixes)
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

        // Each part is length-prefixed, so no choice of values can make two different requests share a key.
        var request = new StringBuilder(uri.Length + 96);
        foreach (var part in (ReadOnlySpan<string>)[
            original.Method,
            original.Proto,
            original.Host.ToLowerInvariant(),
            longest >= 0 ? "prefix:" + pathPrefixes[longest] : "uri:" + uri,
            original.For ?? string.Empty])
        {
            request.Append(part.Length).Append(':').Append(part).Append('\n');
        }

        return SessionKey(cookieHeader) + KeySeparator + Mac(request.ToString());
    }

    private string SessionKey(string cookieHeader) => Mac(cookieHeader);

    private string Mac(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, bytes, mac);
        return Convert.ToBase64String(mac);
    }

    private SchemeState State(string scheme, ForwardAuthAuthenticationOptions options) =>
        _schemes.GetOrAdd(scheme, static (_, limit) => new SchemeState(limit), options.MaxConcurrentVerifications);

    private async Task<ForwardAuthVerifyResult> CallPortalAsync(
        SchemeState state,
        string key,
        Lazy<Task<ForwardAuthVerifyResult>> self,
        ForwardAuthAuthenticationOptions options,
        string cookieHeader,
        ForwardedRequest original)
    {
        try
        {
            if (!state.Limiter.Wait(0))
            {
                _logger.VerifyOverloaded(options.MaxConcurrentVerifications);
                ForwardAuthTelemetry.Verification("overloaded");
                return ForwardAuthVerifyResult.Overloaded;
            }

            try
            {
                using var timeout = new CancellationTokenSource(options.VerifyTimeout, _timeProvider);
                var result = await _client.VerifyAsync(options, cookieHeader, original, timeout.Token);
                if (result.Status == ForwardAuthVerifyStatus.SignedIn && options.CacheDuration > TimeSpan.Zero)
                {
                    state.Set(key, result.Identity!, _timeProvider.GetUtcNow() + options.CacheDuration, options.CacheSizeLimit);
                }

                return result;
            }
            finally
            {
                state.Limiter.Release();
            }
        }
        finally
        {
            state.InFlight.TryRemove(new KeyValuePair<string, Lazy<Task<ForwardAuthVerifyResult>>>(key, self));
        }
    }

    private sealed class SchemeState
    {
        private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
        private int _count;
        private int _sweeping;

        public SchemeState(int maxConcurrentVerifications)
        {
            Limiter = new SemaphoreSlim(maxConcurrentVerifications, maxConcurrentVerifications);
        }

        public SemaphoreSlim Limiter { get; }

        public ConcurrentDictionary<string, Lazy<Task<ForwardAuthVerifyResult>>> InFlight { get; } = new(StringComparer.Ordinal);

        public bool TryGet(string key, DateTimeOffset now, out ForwardAuthIdentity identity)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (entry.ExpiresAt > now)
                {
                    identity = entry.Identity;
                    return true;
                }

                Remove(key);
            }

            identity = null!;
            return false;
        }

        public void Set(string key, ForwardAuthIdentity identity, DateTimeOffset expiresAt, int limit)
        {
            var entry = new Entry(identity, expiresAt);
            if (_entries.TryAdd(key, entry))
            {
                if (Interlocked.Increment(ref _count) > limit)
                {
                    Trim(limit);
                }
            }
            else
            {
                _entries[key] = entry;
            }
        }

        // A sign-out: every answer cached for the session, whatever request shape it was for.
        public void RemoveSession(string sessionPrefix)
        {
            foreach (var (key, _) in _entries)
            {
                if (key.StartsWith(sessionPrefix, StringComparison.Ordinal))
                {
                    Remove(key);
                }
            }
        }

        public void Remove(string key)
        {
            if (_entries.TryRemove(key, out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }

        // Over the limit: drop the answers closest to expiry (expired ones first) down to 90 % of the limit.
        private void Trim(int limit)
        {
            if (Interlocked.Exchange(ref _sweeping, 1) == 1)
            {
                return;
            }

            try
            {
                var target = Math.Max(1, limit - (limit / 10));
                foreach (var (key, _) in _entries.OrderBy(e => e.Value.ExpiresAt))
                {
                    if (Volatile.Read(ref _count) <= target)
                    {
                        break;
                    }

                    Remove(key);
                }
            }
            finally
            {
                Volatile.Write(ref _sweeping, 0);
            }
        }

        private sealed record Entry(ForwardAuthIdentity Identity, DateTimeOffset ExpiresAt);
    }
}
