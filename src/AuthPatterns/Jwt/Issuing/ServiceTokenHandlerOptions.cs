namespace AuthPatterns.Jwt.Issuing;

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

    /// <summary>The OAuth2 token endpoint; <see langword="null"/> uses the local issuer.</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The OAuth2 client id (client credentials only).</summary>
    public string? ClientId { get; set; }

    /// <summary>The OAuth2 client secret (client credentials only), sent with HTTP Basic authentication.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>How long before expiry a token is renewed; 1 minute by default.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromMinutes(1);

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

        if (RenewBefore < TimeSpan.Zero)
        {
            throw new InvalidOperationException("ServiceTokenHandlerOptions.RenewBefore must not be negative.");
        }
    }
}
