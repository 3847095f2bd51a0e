using System.CommandLine;
using AuthPatterns.Issuing;
using Microsoft.Extensions.DependencyInjection;

namespace AuthPatterns.Tool;

/// <summary>
/// <c>authpatterns token mint</c>: a development RS256 access token signed by the local development key ring, the one
/// an application running in Development validates (the RS256 counterpart of <c>dotnet user-jwts</c>).
/// </summary>
internal static class TokenCommand
{
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    public static Command Create()
    {
        var scope = new Option<string[]>("--scope") { Description = "A scope to grant; repeat the option or separate scopes with spaces.", AllowMultipleArgumentsPerToken = true };
        var audience = new Option<string>("--audience") { Description = "The API the token is for (aud).", Required = true };
        var subject = new Option<string>("--subject") { Description = "The caller (sub).", DefaultValueFactory = _ => Environment.UserName };
        var lifetime = new Option<string>("--lifetime") { Description = "How long the token is valid: 15m, 1h, 90s (at most 1 day).", DefaultValueFactory = _ => "15m" };
        var keyDirectory = new Option<string?>("--key-directory") { Description = "The development key ring's directory (default: the shared development ring)." };

        var mint = new Command("mint", "Mint a development access token (RS256, typ at+jwt) and print it.")
        {
            scope, audience, subject, lifetime, keyDirectory,
        };
        mint.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var lifetimeText = parseResult.GetValue(lifetime);
            if (!TryParseLifetime(lifetimeText, out var duration))
            {
                await error.WriteLineAsync(
                    $"--lifetime '{TerminalText.Escape(lifetimeText)}' is not valid: use for example 15m, 1h or 90s, above zero and at most {MaxLifetime.TotalHours:0} hours.");
                return 2;
            }

            var sub = parseResult.GetValue(subject);
            if (string.IsNullOrWhiteSpace(sub))
            {
                await error.WriteLineAsync("--subject must not be empty: name the caller the token is for.");
                return 2;
            }

            var aud = parseResult.GetValue(audience);
            if (string.IsNullOrWhiteSpace(aud))
            {
                await error.WriteLineAsync("--audience must not be empty: name the API the token is for.");
                return 2;
            }

            var scopes = (parseResult.GetValue(scope) ?? [])
                .SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Distinct(StringComparer.Ordinal)
                .ToArray();
            var token = await MintAsync(aud, sub, scopes, duration, parseResult.GetValue(keyDirectory), cancellationToken);
            await parseResult.InvocationConfiguration.Output.WriteLineAsync(token.AccessToken);
            return 0;
        });

        return new Command("token", "Development tokens signed by the local development key ring.") { mint };
    }

    internal static async Task<IssuedServiceToken> MintAsync(string audience, string subject, IReadOnlyList<string> scopes, TimeSpan lifetime, string? keyDirectory, CancellationToken cancellationToken)
    {
        // The issuer an application running in Development would have, signing with the development ring.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSigningKeyRing(options => DevelopmentSigningKeys.Configure(options, keyDirectory));
        services.AddServiceTokenIssuer(options =>
        {
            options.Issuer = DevelopmentSigningKeys.Issuer;
            options.MaxLifetime = MaxLifetime;
        });
        await using var provider = services.BuildServiceProvider();
        var issuer = provider.GetRequiredService<IServiceTokenIssuer>();
        return await issuer.IssueAsync(new ServiceTokenRequest { Audience = audience, Subject = subject, Scopes = scopes, Lifetime = lifetime }, cancellationToken);
    }

    internal static bool TryParseLifetime(string? value, out TimeSpan lifetime) =>
        DurationText.TryParse(value, MaxLifetime, allowZero: false, out lifetime);
}
