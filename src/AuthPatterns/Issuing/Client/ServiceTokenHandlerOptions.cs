namespace AuthPatterns.Issuing;

/// <summary>
/// How an <see cref="HttpClient"/> registered with <c>AddServiceTokenHandler</c> obtains its bearer token: from this
/// application's <see cref="IServiceTokenIssuer"/> (the default) or by OAuth2 client credentials (RFC 6749 §4.4) when
/// <see cref="TokenEndpoint"/> is set.
/// </summary>
public sealed class ServiceTokenHandlerOptions
{
    /// <summary>The API the token is for (<c>aud</c>, or the <c>audience</c> parameter of the token request).</summary>
    public string? Audience { get; set; }

    /// <summary>The scopes to ask for.</summary>
    public IList<string> Scopes { get; set; } = [];

    /// <summary>The subject of locally issued tokens; the issuer's default subject when <see langword="null"/>.</summary>
    public string? Subject { get; set; }

    /// <summary>
    /// The OAuth2 token endpoint; <see langword="null"/> uses the local issuer. Must be <c>https</c>: the client secret
    /// is sent to it. Plain <c>http</c> is accepted only to a loopback address (<c>localhost</c>, <c>127.0.0.1</c>,
    /// <c>::1</c>) in the Development environment.
    /// </summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The OAuth2 client id (client credentials only).</summary>
    public string? ClientId { get; set; }

    /// <summary>The OAuth2 client secret (client credentials only), sent with HTTP Basic authentication.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// How long before expiry a token is renewed; 1 minute by default. A token whose lifetime is shorter than twice
    /// this is renewed at half its lifetime instead, so a short-lived token is still reused.
    /// </summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The longest a token is used, whatever the token endpoint's <c>expires_in</c> or the issuer's <c>exp</c> says;
    /// 1 hour by default. A longer <c>expires_in</c> is treated as this.
    /// </summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a request that holds no valid token waits for one before it fails with an
    /// <see cref="HttpRequestException"/>, and how long one token request may take; 10 seconds by default. Requests
    /// that hold a valid token never wait: it is renewed in the background.
    /// </summary>
    public TimeSpan TokenRequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks the options and throws an <see cref="InvalidOperationException"/> naming the first wrong one.</summary>
    public void Validate()
    {
        if (TokenEndpoint is null && string.IsNullOrWhiteSpace(Audience))
        {
            throw new InvalidOperationException("ServiceTokenHandlerOptions.Audience is required with the local issuer.");
        }

        if (TokenEndpoint is not null && (string.IsNullOrEmpty(ClientId) || string.IsNullOrEmpty(ClientSecret)))
        {
            throw new InvalidOperationException("ServiceTokenHandlerOptions.ClientId and ServiceTokenHandlerOptions.ClientSecret are required with a TokenEndpoint.");
        }

        if (TokenEndpoint is { IsAbsoluteUri: false })
        {
            throw new InvalidOperationException("ServiceTokenHandlerOptions.TokenEndpoint must be an absolute address.");
        }

        if (TokenEndpoint is not null && TokenEndpoint.Scheme != Uri.UriSchemeHttps && TokenEndpoint.Scheme != Uri.UriSchemeHttp)
        {
            throw new InvalidOperationException("ServiceTokenHandlerOptions.TokenEndpoint must be an https address.");
        }

        if (RenewBefore < TimeSpan.Zero)
        {
            throw new InvalidOperationException("ServiceTokenHandlerOptions.RenewBefore must not be negative.");
        }

        if (MaxTokenLifetime <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("ServiceTokenHandlerOptions.MaxTokenLifetime must be positive.");
        }

        if (TokenRequestTimeout <= TimeSpan.Zero || TokenRequestTimeout > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException("ServiceTokenHandlerOptions.TokenRequestTimeout must be positive and at most 5 minutes.");
        }
    }

    /// <summary>
    /// Checks that <see cref="TokenEndpoint"/> may receive the client secret: <c>https</c>, or plain <c>http</c> to a
    /// loopback address when <paramref name="isDevelopment"/>.
    /// </summary>
    internal void ValidateTransport(bool isDevelopment)
    {
        if (TokenEndpoint is { IsAbsoluteUri: true } endpoint && endpoint.Scheme == Uri.UriSchemeHttp && !(isDevelopment && endpoint.IsLoopback))
        {
            throw new InvalidOperationException(
                "ServiceTokenHandlerOptions.TokenEndpoint must be an https address: the client secret is sent to it "
                + "(plain http is accepted only to a loopback address in the Development environment).");
        }
    }
}
