using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Jwt;

/// <summary>
/// The validated token as the bearer handler and its events see it when the token cache is on: its id, issuer and
/// validity, without the token's text or its parsed form.
/// </summary>
internal sealed class CachedJwtSecurityToken(ValidatedToken entry) : SecurityToken
{
    public override string? Id => entry.TokenId;

    public override string? Issuer => entry.Issuer;

    public override SecurityKey? SecurityKey => null;

    public override SecurityKey? SigningKey { get; set; }

    public override DateTime ValidFrom => entry.NotBefore;

    public override DateTime ValidTo => entry.ExpiresAt.UtcDateTime;

    public override string UnsafeToString() => "[validated token]";
}
