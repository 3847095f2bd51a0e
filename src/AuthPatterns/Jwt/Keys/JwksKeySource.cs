using System.Net.Http.Headers;
using System.Text.Json;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Jwt;

/// <summary>
/// The issuer's public keys, fetched from its JWKS (directly or through its discovery document) and kept fresh:
/// refreshed on schedule (honouring Cache-Control within bounds), refreshed once for an unknown <c>kid</c> (at most one
/// such fetch per cooldown), one fetch at a time, the last good set kept through outages and invalid answers.
/// </summary>
internal sealed class JwksKeySource : IJwtKeySource
{
    private readonly JwtTelemetry _telemetry;
    private readonly JwtAuthenticationOptions _options;
    private readonly bool _requireHttps;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    private volatile JwksKeySet? _keys;
    private DateTimeOffset _nextRefresh;
    private DateTimeOffset _lastUnknownKeyFetch = DateTimeOffset.MinValue;
    private Task? _inflight;
    private bool _lastFailed;

    // What the health check reads (under the gate); never any key material.
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _freshUntil;
    private DateTimeOffset? _failingSince;
    private DateTimeOffset? _lastFailure;
    private string? _lastFailureReason;
    private int _consecutiveFailures;

    public JwksKeySource(JwtAuthenticationOptions options, bool requireHttps, IHttpClientFactory httpClientFactory, TimeProvider time, ILogger logger, JwtTelemetry telemetry)
    {
        _telemetry = telemetry;
        _options = options;
        _requireHttps = requireHttps;
        _httpClientFactory = httpClientFactory;
        _time = time;
        _logger = logger;
    }

    /// <summary>Completes when the fetch in progress, if any, ends. For tests and warm-up.</summary>
    public Task PendingRefresh
    {
        get
        {
            lock (_gate)
            {
                return _inflight ?? Task.CompletedTask;
            }
        }
    }

    /// <summary>Starts the first fetch if none has happened yet, without waiting for it.</summary>
    public void WarmUp()
    {
        if (_keys is null)
        {
            _ = StartRefresh(_time.GetUtcNow(), "initial");
        }
    }

    public async ValueTask<bool> EnsureKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        var keys = _keys;
        var now = _time.GetUtcNow();
        if (keys is null)
        {
            // Nothing loaded yet: the first request waits for the first fetch (or joins it); after a failure, retries wait for the cooldown.
            var first = StartRefresh(now, "initial");
            if (first is not null)
            {
                await first.WaitAsync(cancellationToken);
            }

            keys = _keys;
        }
        else if (now >= _nextRefresh)
        {
            // Scheduled refresh: served from the current set meanwhile.
            _ = StartRefresh(now, "scheduled");
        }

        if (keys is not null && keys.Contains(keyId))
        {
            return true;
        }

        var refresh = StartRefresh(now, "unknown_kid");
        if (refresh is null)
        {
            _logger.UnknownKeyIdThrottled(keyId);
            return false;
        }

        _logger.UnknownKeyIdRefresh(keyId);
        await refresh.WaitAsync(cancellationToken);
        return _keys?.Contains(keyId) == true;
    }

    /// <summary>What the source holds and how its fetches went, for the health check. Starts no fetch.</summary>
    public JwksKeySourceState GetState()
    {
        lock (_gate)
        {
            return new JwksKeySourceState(
                _keys?.Count ?? 0, _lastSuccess, _freshUntil, _failingSince, _lastFailure, _lastFailureReason, _consecutiveFailures, _inflight is not null);
        }
    }

    public IReadOnlyList<SecurityKey> Resolve(string keyId, string algorithm) =>
        (_keys ?? JwksKeySet.Empty).Resolve(keyId, algorithm, _options.MinimumRsaKeySize);

    public bool IsPublished(string keyId) => _keys?.Contains(keyId) == true;

    // Returns the fetch to wait for: the one in progress, or a new one; null when a new one is not allowed yet.
    // Fetches for unknown key ids are at most one per cooldown; after a failed fetch, the next waits for the cooldown too.
    private Task? StartRefresh(DateTimeOffset now, string reason)
    {
        lock (_gate)
        {
            if (_inflight is not null)
            {
                return _inflight;
            }

            if (reason == "unknown_kid")
            {
                if (now - _lastUnknownKeyFetch < _options.JwksRefreshCooldown || (_lastFailed && now < _nextRefresh))
                {
                    return null;
                }

                _lastUnknownKeyFetch = now;
            }
            else if (now < _nextRefresh)
            {
                return null;
            }

            _nextRefresh = now + _options.JwksRefreshCooldown;
            var task = RunRefreshAsync(reason);
            _inflight = task;
            return task;
        }
    }

    private async Task RunRefreshAsync(string reason)
    {
        // Yield first, so the task is published under the lock before it can finish and clear itself.
        await Task.Yield();
        Uri? address = null;
        try
        {
            address = _options.JwksUri ?? await DiscoverJwksUriAsync();
            var body = await FetchAsync(address);
            var keys = JwksDocumentReader.Read(body.Content, _options.MinimumRsaKeySize, out var skipped);
            if (keys.Count == 0)
            {
                throw new JwksFetchException("the document holds no usable signing key");
            }

            var lifetime = body.MaxAge ?? _options.JwksRefreshInterval;
            lifetime = TimeSpan.FromTicks(Math.Clamp(lifetime.Ticks, _options.JwksMinimumRefreshInterval.Ticks, _options.JwksMaximumRefreshInterval.Ticks));
            lock (_gate)
            {
                var fetchedAt = _time.GetUtcNow();
                _keys = keys;
                _nextRefresh = fetchedAt + lifetime;
                _lastFailed = false;
                _lastSuccess = fetchedAt;
                _freshUntil = fetchedAt + lifetime;
                _failingSince = null;
                _consecutiveFailures = 0;
            }

            _telemetry.RecordFetch("ok", reason);
            _logger.JwksFetched(address, keys.Count, skipped, lifetime);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or JwksFetchException or OperationCanceledException or InvalidOperationException)
        {
            // The last good set stays; the next attempt waits for the cooldown (set when this fetch started).
            lock (_gate)
            {
                var failedAt = _time.GetUtcNow();
                _lastFailed = true;
                _failingSince ??= failedAt;
                _lastFailure = failedAt;
                _lastFailureReason = FailureKind(exception);
                _consecutiveFailures++;
            }

            _telemetry.RecordFetch("failed", reason);
            _logger.JwksFetchFailed(address, exception is JwksFetchException ? exception.Message : exception.GetType().Name, _keys?.Count ?? 0);
        }
        finally
        {
            lock (_gate)
            {
                _inflight = null;
            }
        }
    }

    // A fixed description of what went wrong: the library's own messages or the kind of exception, never the response.
    private static string FailureKind(Exception exception) => exception switch
    {
        JwksFetchException => exception.Message,
        OperationCanceledException => "timeout",
        HttpRequestException => "network error",
        JsonException => "invalid JSON",
        _ => "invalid response",
    };

    private async Task<Uri> DiscoverJwksUriAsync()
    {
        var metadata = _options.MetadataAddress
            ?? new Uri(_options.Authority!.TrimEnd('/') + "/.well-known/openid-configuration", UriKind.Absolute);
        var body = await FetchAsync(metadata);
        using var document = JsonDocument.Parse(body.Content, new JsonDocumentOptions { MaxDepth = 16 });
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("jwks_uri", out var jwksUri)
            || jwksUri.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(jwksUri.GetString(), UriKind.Absolute, out var address))
        {
            throw new JwksFetchException("the discovery document names no jwks_uri");
        }

        return address;
    }

    private async Task<(ReadOnlyMemory<byte> Content, TimeSpan? MaxAge)> FetchAsync(Uri address)
    {
        if (_requireHttps && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new JwksFetchException("the address is not HTTPS");
        }

        if (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp)
        {
            throw new JwksFetchException("the address is not HTTP(S)");
        }

        using var timeout = new CancellationTokenSource(_options.JwksFetchTimeout, _time);
        var client = _httpClientFactory.CreateClient(JwtAuthenticationDefaults.JwksHttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new JwksFetchException($"status {(int)response.StatusCode}");
        }

        var content = await BoundedResponseBody.ReadAsync(response, _options.JwksMaxResponseSize, timeout.Token)
            ?? throw new JwksFetchException("the response is larger than the limit");

        var cacheControl = response.Headers.CacheControl;
        TimeSpan? maxAge = cacheControl is { NoStore: true } or { NoCache: true } ? TimeSpan.Zero : cacheControl?.MaxAge;
        return (content, maxAge);
    }

    private sealed class JwksFetchException(string message) : Exception(message);
}

/// <summary>A snapshot of a <see cref="JwksKeySource"/> for the health check: counts and times only, no key material.</summary>
/// <param name="KeyCount">Keys in the set held (0 when none has been fetched yet).</param>
/// <param name="LastSuccess">When the set held was fetched.</param>
/// <param name="FreshUntil">When that set is due for its scheduled refresh.</param>
/// <param name="FailingSince">The first failed fetch since the last successful one, or <see langword="null"/>.</param>
/// <param name="LastFailure">The latest failed fetch since the last successful one, or <see langword="null"/>.</param>
/// <param name="LastFailureReason">What went wrong with it, in fixed words.</param>
/// <param name="ConsecutiveFailures">Failed fetches since the last successful one.</param>
/// <param name="Fetching">Whether a fetch is in progress.</param>
internal sealed record JwksKeySourceState(
    int KeyCount,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? FreshUntil,
    DateTimeOffset? FailingSince,
    DateTimeOffset? LastFailure,
    string? LastFailureReason,
    int ConsecutiveFailures,
    bool Fetching);
