namespace AuthPatterns.Issuing;

/// <summary>Issues short-lived RS256 access tokens (<c>typ: at+jwt</c>) signed by the application's signing key ring.</summary>
public interface IServiceTokenIssuer
{
    /// <summary>Signs a token for the request with the ring's current key.</summary>
    /// <param name="request">The audience, subject, scopes and lifetime.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The signed token and when it expires.</returns>
    ValueTask<IssuedServiceToken> IssueAsync(ServiceTokenRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What a service token is for.</summary>
public sealed class ServiceTokenRequest
{
    /// <summary>The API the token is for (its <c>aud</c>).</summary>
    public required string Audience { get; init; }

    /// <summary>The caller (<c>sub</c>); the issuer's <see cref="ServiceTokenIssuerOptions.DefaultSubject"/> when <see langword="null"/>.</summary>
    public string? Subject { get; init; }

    /// <summary>The OAuth2 client the token is for (<c>client_id</c>); the subject when <see langword="null"/>.</summary>
    public string? ClientId { get; init; }

    /// <summary>The granted scopes, written as one space-separated <c>scope</c> claim.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>The lifetime; the issuer's default (15 minutes) when <see langword="null"/>, never above its maximum.</summary>
    public TimeSpan? Lifetime { get; init; }
}

/// <summary>A signed service token.</summary>
/// <param name="AccessToken">The compact JWS.</param>
/// <param name="ExpiresAt">Its <c>exp</c>.</param>
/// <param name="TokenId">Its <c>jti</c>.</param>
public sealed record IssuedServiceToken(string AccessToken, DateTimeOffset ExpiresAt, string TokenId);

/// <summary>How <see cref="IServiceTokenIssuer"/> signs tokens.</summary>
public sealed class ServiceTokenIssuerOptions
{
    /// <summary>The <c>iss</c> of every token, e.g. <c>https://auth.internal</c>. Required.</summary>
    public string? Issuer { get; set; }

    /// <summary>The lifetime of a token when the request names none; 15 minutes by default.</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest lifetime a request may ask for; 1 hour by default. Keep it below the ring's retention.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The <c>sub</c> of tokens whose request names none, e.g. this service's name.</summary>
    public string? DefaultSubject { get; set; }

    /// <summary>Checks the options and throws an <see cref="InvalidOperationException"/> naming the first wrong one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Issuer))
        {
            throw new InvalidOperationException("ServiceTokenIssuerOptions.Issuer is required.");
        }

        if (DefaultLifetime <= TimeSpan.Zero || DefaultLifetime > MaxLifetime)
        {
            throw new InvalidOperationException("ServiceTokenIssuerOptions.DefaultLifetime must be positive and not above ServiceTokenIssuerOptions.MaxLifetime.");
        }
    }
}
