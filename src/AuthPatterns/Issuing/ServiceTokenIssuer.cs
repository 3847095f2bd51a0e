using System.Security.Cryptography;
using AuthPatterns.Authorization;
using AuthPatterns.Jwt;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Issuing;

/// <summary>Signs RFC 9068 access tokens with the current key of the <see cref="SigningKeyRing"/>.</summary>
internal sealed class ServiceTokenIssuer : IServiceTokenIssuer
{
    internal static readonly TimeSpan MaxVerifierSkew = TimeSpan.FromMinutes(5);

    internal const string LifetimeOutlivesKeyMessage =
        "ServiceTokenIssuerOptions.MaxLifetime plus 5 minutes of clock skew must not exceed SigningKeyRingOptions.RetainAfterRetirement.";

    private readonly SigningKeyRing _ring;
    private readonly ServiceTokenIssuerOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public ServiceTokenIssuer(SigningKeyRing ring, IOptions<ServiceTokenIssuerOptions> options, TimeProvider time)
    {
        _ring = ring;
        _options = options.Value;
        _options.Validate();
        if (_options.MaxLifetime + MaxVerifierSkew > ring.RetainAfterRetirement)
        {
            // A token must expire (plus the verifiers' skew) before the key that signed it leaves the JWKS.
            throw new InvalidOperationException(LifetimeOutlivesKeyMessage);
        }

        _time = time;
    }

    public ValueTask<IssuedServiceToken> IssueAsync(ServiceTokenRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Audience);
        foreach (var scope in request.Scopes)
        {
            if (!ScopeClaimNormalizer.IsValidScope(scope))
            {
                throw new ArgumentException($"'{scope}' is not a valid scope.", nameof(request));
            }
        }

        var lifetime = request.Lifetime ?? _options.DefaultLifetime;
        if (lifetime <= TimeSpan.Zero || lifetime > _options.MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"The lifetime must be positive and at most {_options.MaxLifetime}.");
        }

        var subject = request.Subject ?? _options.DefaultSubject
            ?? throw new ArgumentException("The request names no subject and the issuer has no default subject.", nameof(request));

        // Whole seconds: NumericDate carries no fractions here, so exp and the reported expiry agree exactly.
        var now = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());
        var expires = now + lifetime;
        var tokenId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        var key = _ring.GetSnapshot().Current;

        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [LayeredClaimTypes.Subject] = subject,
            [LayeredClaimTypes.ClientId] = request.ClientId ?? subject,
            [LayeredClaimTypes.TokenId] = tokenId,
        };
        if (request.Scopes.Count > 0)
        {
            claims[LayeredClaimTypes.Scope] = string.Join(' ', request.Scopes);
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = request.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            TokenType = JwtAuthenticationDefaults.AccessTokenType,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key.SecurityKey, SecurityAlgorithms.RsaSha256),
        });

        return ValueTask.FromResult(new IssuedServiceToken(token, expires, tokenId));
    }
}
