using System.CommandLine;
using AuthPatterns.Issuing;
using AuthPatterns.Tests.Jwt;
using AuthPatterns.Tool;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Tests.Tool;

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
    [InlineData("1d", 24 * 3600)]
    [InlineData("2d", -1)]
    [InlineData("1441m", -1)]
    [InlineData("2147483647h", -1)]
    [InlineData("9223372036854775807s", -1)]
    [InlineData("99999999999999999999m", -1)]
    public void Lifetimes_are_bounded_to_one_day(string value, int seconds)
    {
        var parsed = TokenCommand.TryParseLifetime(value, out var lifetime);
        Assert.Equal(seconds > 0, parsed);
        if (parsed)
        {
            Assert.Equal(TimeSpan.FromSeconds(seconds), lifetime);
        }
    }

    [Theory]
    [InlineData("2147483647h")]
    [InlineData("613566757w")]
    [InlineData("25h")]
    [InlineData("0s")]
    public async Task An_overflowing_or_too_long_lifetime_is_one_line_and_exit_code_2_not_a_crash(string lifetime)
    {
        var (code, output, error) = await RunAsync("token", "mint", "--audience", "orders-api", "--subject", "me", "--lifetime", lifetime, "--key-directory", _directory);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Equal($"--lifetime '{lifetime}' is not valid: use for example 15m, 1h or 90s, above zero and at most 24 hours.", error.TrimEnd());
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData("--subject", "")]
    [InlineData("--subject", "   ")]
    [InlineData("--audience", "")]
    public async Task An_empty_subject_or_audience_is_refused(string option, string value)
    {
        string[] args = option == "--subject"
            ? ["token", "mint", "--audience", "orders-api", "--subject", value, "--key-directory", _directory]
            : ["token", "mint", "--audience", value, "--subject", "me", "--key-directory", _directory];

        var (code, output, error) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.StartsWith($"{option} must not be empty", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mint_prints_the_token_and_nothing_else()
    {
        var (code, output, error) = await RunAsync("token", "mint", "--audience", "orders-api", "--subject", "me", "--lifetime", "1d", "--key-directory", _directory);

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Equal(3, output.Trim().Split('.').Length);
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => ToolInvocation.RunAsync(args);
}
