using System.CommandLine;
using System.Globalization;
using AuthPatterns.Issuing;
using AuthPatterns.Jwt;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tool;

/// <summary>
/// <c>authpatterns token mint</c>: a development RS256 access token signed by the local development key ring, the one
/// an application running in Development validates (the RS256 counterpart of <c>dotnet user-jwts</c>).
/// <c>authpatterns token revoke --jti &lt;id&gt; --expires &lt;time&gt; --redis &lt;configuration&gt;</c>: denies a token id on
/// every instance sharing that Redis (the shared deny list of <c>AddRedis()</c>).
/// </summary>
internal static class TokenCommand
{
    private const int MaxTokenIdLength = 256;

    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    // A token id is denied until its token expires; no token lives longer than this.
    private static readonly TimeSpan MaxDenial = TimeSpan.FromDays(366);

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

        return new Command("token", "Mint development tokens signed by the local development key ring; revoke a token id on every instance.") { mint, RevokeCommand() };
    }

    private static Command RevokeCommand()
    {
        var jti = new Option<string>("--jti") { Description = "The token id to deny (the token's jti claim).", Required = true };
        var expires = new Option<string>("--expires")
        {
            Description = "When the token expires (its exp claim): an ISO 8601 time such as 2026-12-01T12:00:00Z, or Unix seconds. The id is denied until an hour after.",
            Required = true,
        };
        var redis = RedisBroadcast.ConfigurationOption();
        var redisPrefix = RedisBroadcast.PrefixOption();
        var revoke = new Command("revoke", "Deny a token id on every instance sharing Redis (--redis), until the token expires.") { jti, expires, redis, redisPrefix };
        revoke.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var tokenId = parse.GetRequiredValue(jti);
            if (!IsTokenId(tokenId))
            {
                await error.WriteLineAsync($"--jti must be 1 to {MaxTokenIdLength} characters without spaces or control characters.");
                return 2;
            }

            var expiresText = parse.GetRequiredValue(expires);
            var now = TimeProvider.System.GetUtcNow();
            if (!TryParseExpiry(expiresText, out var expiresAt))
            {
                await error.WriteLineAsync($"--expires '{TerminalText.Escape(expiresText)}' is not a time: give the token's exp as Unix seconds or an ISO 8601 time such as 2026-12-01T12:00:00Z.");
                return 2;
            }

            if (expiresAt <= now)
            {
                await output.WriteLineAsync($"Token id {TerminalText.Escape(tokenId)} expired at {expiresAt:u}: every instance refuses it already; nothing was written.");
                return 0;
            }

            if (expiresAt > now + MaxDenial)
            {
                await error.WriteLineAsync($"--expires {expiresAt:u} is more than {MaxDenial.TotalDays:0} days away; a token id is denied until its token expires, and no token lives that long.");
                return 2;
            }

            var configuration = RedisBroadcast.ValueOf(parse, redis);
            if (configuration is null)
            {
                await error.WriteLineAsync(
                    "Not revoked: the token deny list reaches the instances only through Redis. Pass --redis <configuration> (or set LayeredAuth__Redis__Configuration). "
                    + $"Without Redis, each instance keeps its own list (IJwtRevocationList in the application), and others accept the token until it expires at {expiresAt:u}.");
                return 2;
            }

            if (RedisBroadcast.Check(configuration, parse.GetRequiredValue(redisPrefix)) is { } invalid)
            {
                await error.WriteLineAsync(invalid);
                return 2;
            }

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddLayeredAuth().AddRedis(o =>
            {
                o.Configuration = configuration;
                o.KeyPrefix = parse.GetRequiredValue(redisPrefix);

                // No request waits on the tool: it may wait for Redis as long as StackExchange.Redis does.
                o.OperationTimeout = TimeSpan.FromSeconds(5);
            });
            await using var provider = services.BuildServiceProvider();
            try
            {
                await provider.GetRequiredService<IJwtRevocationList>().RevokeAsync(tokenId, expiresAt, cancellationToken);
            }
            catch (InvalidOperationException)
            {
                await error.WriteLineAsync($"Not revoked: Redis could not be reached, so token id {TerminalText.Escape(tokenId)} was neither stored nor broadcast and the instances accept it. Try again when Redis is reachable.");
                return 1;
            }

            await output.WriteLineAsync(
                $"Denied token id {TerminalText.Escape(tokenId)} until an hour after {expiresAt:u}: every instance sharing Redis refuses it now, and instances that start later load it.");
            return 0;
        });
        return revoke;
    }

    internal static bool IsTokenId(string value) =>
        value.Length is > 0 and <= MaxTokenIdLength && !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));

    internal static bool TryParseExpiry(string value, out DateTimeOffset expiresAt)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 253_402_300_799)
        {
            expiresAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return true;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out expiresAt);
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
