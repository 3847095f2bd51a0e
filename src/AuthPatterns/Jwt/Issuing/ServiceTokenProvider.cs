using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Jwt.Issuing;

/// <summary>
/// Holds one service token per named <see cref="HttpClient"/>: reused until <see cref="ServiceTokenHandlerOptions.RenewBefore"/>
/// its expiry, then renewed by one caller while the others wait for that same renewal (never two at once). A failed
/// renewal keeps using the old token while it is still valid.
/// </summary>
internal sealed class ServiceTokenProvider
{
    /// <summary>The name of the <see cref="HttpClient"/> that calls OAuth2 token endpoints.</summary>
    public const string TokenEndpointClientName = "AuthPatterns.TokenEndpoint";

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

    public async ValueTask<string> GetTokenAsync(string clientName, CancellationToken cancellationToken)
    {
        var options = _options.Get(clientName);
        var slot = _slots.GetOrAdd(clientName, _ => new Slot());
        var current = slot.Token;
        if (current is not null && _time.GetUtcNow() < current.ExpiresAt - options.RenewBefore)
        {
            return current.AccessToken;
        }

        await slot.Renewal.WaitAsync(cancellationToken);
        try
        {
            current = slot.Token;
            var now = _time.GetUtcNow();
            if (current is not null && now < current.ExpiresAt - options.RenewBefore)
            {
                return current.AccessToken;
            }

            try
            {
                var token = await ObtainAsync(options, cancellationToken);
                slot.Token = token;
                _logger.ServiceTokenObtained(clientName, token.ExpiresAt);
                return token.AccessToken;
            }
            catch (Exception exception) when (exception is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException && current is not null && now < current.ExpiresAt)
            {
                _logger.ServiceTokenFailed(clientName, exception.GetType().Name);
                return current!.AccessToken;
            }
        }
        finally
        {
            slot.Renewal.Release();
        }
    }

    private async Task<IssuedServiceToken> ObtainAsync(ServiceTokenHandlerOptions options, CancellationToken cancellationToken)
    {
        if (options.TokenEndpoint is null)
        {
            var issuer = _services.GetService<IServiceTokenIssuer>()
                ?? throw new InvalidOperationException("AddServiceTokenHandler without a TokenEndpoint needs AddServiceTokenIssuer().");
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

        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The token endpoint answered {(int)response.StatusCode}.");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        var root = document.RootElement;
        if (!root.TryGetProperty("access_token", out var accessToken) || accessToken.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("expires_in", out var expiresIn) || !expiresIn.TryGetInt32(out var seconds) || seconds <= 0)
        {
            throw new JsonException("The token response has no access_token or expires_in.");
        }

        return new IssuedServiceToken(accessToken.GetString()!, _time.GetUtcNow().AddSeconds(seconds), "");
    }

    private sealed class Slot
    {
        public readonly SemaphoreSlim Renewal = new(1, 1);

        public volatile IssuedServiceToken? Token;
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
