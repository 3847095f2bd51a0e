using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Issuing;

/// <summary>
/// Holds one service token per named <see cref="HttpClient"/>, for the audience, scopes and client it was asked for.
/// A held token is served until it expires; from its renewal time on, one background renewal at a time replaces it
/// (retried with a growing, randomly lengthened delay while it fails), so requests never queue behind a slow token endpoint. Only a request
/// that holds no valid token waits, for at most <see cref="ServiceTokenHandlerOptions.TokenRequestTimeout"/>.
/// </summary>
internal sealed class ServiceTokenProvider
{
    /// <summary>The name of the <see cref="HttpClient"/> that calls OAuth2 token endpoints.</summary>
    public const string TokenEndpointClientName = "AuthPatterns.TokenEndpoint";

    // A token response is a small JSON object; a token endpoint that sends more is refused before it is buffered.
    private const int MaxTokenResponseSize = 64 * 1024;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly IOptionsMonitor<ServiceTokenHandlerOptions> _options;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ServiceTokenProvider(IOptionsMonitor<ServiceTokenHandlerOptions> options, IServiceProvider services, TimeProvider time, ILogger<ServiceTokenProvider> logger)
    {
        _options = options;
        _services = services;
        _time = time;
        _logger = logger;
    }

    /// <summary>Spreads retry delays; tests replace it to retry on exact delays.</summary>
    internal Random RetryJitter { get; set; } = Random.Shared;

    public async ValueTask<string> GetTokenAsync(string clientName, CancellationToken cancellationToken)
    {
        var options = _options.Get(clientName);
        var slot = SlotFor(clientName, options);
        var now = _time.GetUtcNow();
        var held = slot.Token;
        if (held is not null && now < held.ExpiresAt)
        {
            if (now >= held.RenewAt)
            {
                _ = StartRenewal(slot, clientName, options, now);
            }

            return held.AccessToken;
        }

        var renewal = StartRenewal(slot, clientName, options, now)
            ?? throw Unavailable(clientName, slot.LastFailure ?? "the last attempt failed");
        RenewalOutcome outcome;
        try
        {
            outcome = await renewal.WaitAsync(options.TokenRequestTimeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw Unavailable(clientName, string.Create(CultureInfo.InvariantCulture, $"no token arrived within {options.TokenRequestTimeout}"));
        }

        return outcome.Token?.AccessToken ?? throw Unavailable(clientName, outcome.Failure!);
    }

    /// <summary>The renewal in flight for the client, or a completed task; lets tests observe background renewals.</summary>
    internal Task PendingRenewal(string clientName) =>
        _slots.TryGetValue(clientName, out var slot) && Volatile.Read(ref slot.Renewal) is { } renewal ? renewal : Task.CompletedTask;

    private Slot SlotFor(string clientName, ServiceTokenHandlerOptions options)
    {
        // A token belongs to what it was asked for: when the options change (a reloaded audience, new scopes), the
        // held token is dropped with its slot rather than sent to an API it was not issued for.
        var key = CacheKey(options);
        while (true)
        {
            var slot = _slots.GetOrAdd(clientName, static (_, k) => new Slot(k), key);
            if (string.Equals(slot.Key, key, StringComparison.Ordinal))
            {
                return slot;
            }

            _slots.TryUpdate(clientName, new Slot(key), slot);
        }
    }

    private static string CacheKey(ServiceTokenHandlerOptions options) => string.Join(
        '\u001f',
        options.TokenEndpoint?.AbsoluteUri ?? "",
        options.ClientId ?? "",
        options.Audience ?? "",
        options.Subject ?? "",
        string.Join(' ', options.Scopes));

    /// <summary>Starts a renewal unless one is running (returned) or the last one failed too recently (null).</summary>
    private Task<RenewalOutcome>? StartRenewal(Slot slot, string clientName, ServiceTokenHandlerOptions options, DateTimeOffset now)
    {
        lock (slot)
        {
            if (slot.Renewal is { IsCompleted: false } running)
            {
                return running;
            }

            if (now < slot.RetryAt)
            {
                return null;
            }

            // The renewal outlives the request that started it: it gets no request's cancellation or async context.
            using (ExecutionContext.SuppressFlow())
            {
                var renewal = Task.Run(() => RenewAsync(slot, clientName, options));
                Volatile.Write(ref slot.Renewal, renewal);
                return renewal;
            }
        }
    }

    private async Task<RenewalOutcome> RenewAsync(Slot slot, string clientName, ServiceTokenHandlerOptions options)
    {
        var started = _time.GetUtcNow();
        using var timeout = new CancellationTokenSource(options.TokenRequestTimeout, _time);
        string failure;
        try
        {
            var issued = await ObtainAsync(options, started, timeout.Token);
            var lifetime = issued.ExpiresAt - started;
            if (lifetime > options.MaxTokenLifetime)
            {
                lifetime = options.MaxTokenLifetime;
            }

            if (lifetime > TimeSpan.Zero)
            {
                // Renew RenewBefore ahead of expiry, but never later than half-way through a short-lived token's
                // lifetime, so a token that lives less than RenewBefore is still reused.
                var renewBefore = options.RenewBefore < lifetime / 2 ? options.RenewBefore : lifetime / 2;
                var token = new HeldToken(issued.AccessToken, started + lifetime, started + lifetime - renewBefore);
                lock (slot)
                {
                    slot.Token = token;
                    slot.Failures = 0;
                    slot.RetryAt = DateTimeOffset.MinValue;
                    slot.LastFailure = null;
                }

                _logger.ServiceTokenObtained(clientName, token.ExpiresAt);
                return new RenewalOutcome(token, null);
            }

            failure = "the token had already expired";
        }
        catch (ServiceTokenException exception)
        {
            failure = exception.Message;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            failure = string.Create(CultureInfo.InvariantCulture, $"the token request took longer than {options.TokenRequestTimeout}");
        }
        catch (HttpRequestException)
        {
            failure = "the token endpoint could not be reached";
        }
        catch (JsonException)
        {
            failure = "the token response is not JSON";
        }
        catch (Exception exception)
        {
            // A failed renewal must never fault silently: whoever waits for it gets a fixed sentence, the log the type.
            failure = "obtaining the token threw " + exception.GetType().Name;
        }

        lock (slot)
        {
            slot.Failures++;
            var delay = slot.Failures >= 7 ? LongestRetryDelay : FirstRetryDelay * (1 << (slot.Failures - 1));

            // Up to a quarter longer, at random, so instances that failed together do not call the endpoint together.
            slot.RetryAt = _time.GetUtcNow() + (delay * (1 + (RetryJitter.NextDouble() / 4)));
            slot.LastFailure = failure;
        }

        _logger.ServiceTokenFailed(clientName, failure);
        return new RenewalOutcome(null, failure);
    }

    private async Task<IssuedServiceToken> ObtainAsync(ServiceTokenHandlerOptions options, DateTimeOffset started, CancellationToken cancellationToken)
    {
        if (options.TokenEndpoint is null)
        {
            var issuer = _services.GetService<IServiceTokenIssuer>()
                ?? throw new ServiceTokenException("AddServiceTokenHandler without a TokenEndpoint needs AddServiceTokenIssuer()");
            return await issuer.IssueAsync(
                new ServiceTokenRequest { Audience = options.Audience!, Subject = options.Subject, Scopes = [.. options.Scopes] },
                cancellationToken);
        }

        var client = _services.GetRequiredService<IHttpClientFactory>().CreateClient(TokenEndpointClientName);
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (options.Scopes.Count > 0)
        {
            form.Add(new("scope", string.Join(' ', options.Scopes)));
        }

        if (!string.IsNullOrEmpty(options.Audience))
        {
            form.Add(new("audience", options.Audience));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, options.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        var credentials = Uri.EscapeDataString(options.ClientId!) + ":" + Uri.EscapeDataString(options.ClientSecret!);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ServiceTokenException(string.Create(CultureInfo.InvariantCulture, $"the token endpoint answered {(int)response.StatusCode}"));
        }

        var content = await BoundedResponseBody.ReadAsync(response, MaxTokenResponseSize, cancellationToken)
            ?? throw new ServiceTokenException("the token response is larger than 64 KiB");
        using var document = JsonDocument.Parse(content);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("access_token", out var accessToken) || accessToken.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(accessToken.GetString()))
        {
            throw new ServiceTokenException("the token response has no access_token");
        }

        if (!root.TryGetProperty("expires_in", out var expiresIn) || !TryReadSeconds(expiresIn, out var seconds) || seconds <= 0)
        {
            throw new ServiceTokenException("the token response has no positive expires_in");
        }

        // An absurd expires_in (int.MaxValue) is capped here and again at MaxTokenLifetime by the caller.
        var lifetime = seconds >= (long)options.MaxTokenLifetime.TotalSeconds ? options.MaxTokenLifetime : TimeSpan.FromSeconds(seconds);
        return new IssuedServiceToken(accessToken.GetString()!, started + lifetime, "");
    }

    // RFC 6749 defines expires_in as a number of seconds; some servers send it as a string of digits.
    private static bool TryReadSeconds(JsonElement value, out long seconds)
    {
        seconds = 0;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt64(out seconds),
            JsonValueKind.String => long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out seconds),
            _ => false,
        };
    }

    private static HttpRequestException Unavailable(string clientName, string reason) =>
        new($"No service token for the HttpClient '{clientName}': {reason}.");

    private sealed record HeldToken(string AccessToken, DateTimeOffset ExpiresAt, DateTimeOffset RenewAt);

    private sealed record RenewalOutcome(HeldToken? Token, string? Failure);

    /// <summary>A token request that failed for a reason this class words itself (never from a response or secret).</summary>
    private sealed class ServiceTokenException(string reason) : Exception(reason);

    private sealed class Slot(string key)
    {
        public readonly string Key = key;

        public volatile HeldToken? Token;

        // The fields below are guarded by lock (slot).
        public Task<RenewalOutcome>? Renewal;

        public DateTimeOffset RetryAt = DateTimeOffset.MinValue;

        public int Failures;

        public volatile string? LastFailure;
    }
}

/// <summary>Adds <c>Authorization: Bearer</c> with the client's service token to every outgoing request.</summary>
internal sealed class ServiceTokenDelegatingHandler : DelegatingHandler
{
    private readonly ServiceTokenProvider _provider;
    private readonly string _clientName;

    public ServiceTokenDelegatingHandler(ServiceTokenProvider provider, string clientName)
    {
        _provider = provider;
        _clientName = clientName;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await _provider.GetTokenAsync(_clientName, cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
