using AuthPatterns.Jwt.Issuing;
using AuthPatterns.Tool;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Tests.Jwt;

/// <summary><c>authpatterns token mint</c>: development tokens signed by the development key ring.</summary>
public sealed class TokenCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("authpatterns-devkeys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Minted_token_carries_the_requested_claims_and_verifies_against_the_development_ring()
    {
        var issued = await TokenCommand.MintAsync("orders-api", "dev-user", ["orders:read", "orders:write"], TimeSpan.FromMinutes(15), _directory, default);

        var options = new SigningKeyRingOptions();
        DevelopmentSigningKeys.Configure(options, _directory);
        var ring = new SigningKeyRing(Options.Create(options), options.DataProtectionProvider!, TimeProvider.System, NullLogger<SigningKeyRing>.Instance);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(issued.AccessToken, new TokenValidationParameters
        {
            ValidIssuer = DevelopmentSigningKeys.Issuer,
            ValidAudience = "orders-api",
            IssuerSigningKeys = ring.GetSnapshot().Published.Select(k => k.PublicSecurityKey),
            ValidAlgorithms = ["RS256"],
            ValidTypes = ["at+jwt"],
        });

        Assert.True(result.IsValid, result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal("dev-user", token.Subject);
        Assert.Equal("orders:read orders:write", token.GetClaim("scope").Value);
        Assert.InRange(issued.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
    }

    [Theory]
    [InlineData("15m", 15 * 60)]
    [InlineData("90s", 90)]
    [InlineData("24h", 24 * 3600)]
    [InlineData("25h", -1)]
    [InlineData("0m", -1)]
    [InlineData("-5m", -1)]
    [InlineData("15", -1)]
    [InlineData("1d", -1)]
    public void Lifetimes_are_bounded_to_one_day(string value, int seconds)
    {
        var parsed = TokenCommand.TryParseLifetime(value, out var lifetime);
        Assert.Equal(seconds > 0, parsed);
        if (parsed)
        {
            Assert.Equal(TimeSpan.FromSeconds(seconds), lifetime);
        }
    }
}
