using System.CommandLine;
using AuthPatterns.StackExchangeRedis;

namespace AuthPatterns.Tool;

/// <summary>
/// The <c>--redis</c> and <c>--redis-prefix</c> options, read like the application's <c>LayeredAuth:Redis</c> section
/// (and its environment variables), so the tool announces on the channel the instances listen to.
/// </summary>
internal static class RedisBroadcast
{
    public const string DefaultPrefix = "authpatterns";

    public static Option<string?> ConfigurationOption() => new("--redis")
    {
        Description = "The Redis the instances share (a StackExchange.Redis configuration string, LayeredAuth:Redis:Configuration): the change is announced to every instance at once.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LayeredAuth__Redis__Configuration") is { Length: > 0 } value ? value : null,
    };

    public static Option<string> PrefixOption() => new("--redis-prefix")
    {
        Description = "The prefix of the channel and keys in Redis (LayeredAuth:Redis:KeyPrefix).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LayeredAuth__Redis__KeyPrefix") is { Length: > 0 } value ? value : DefaultPrefix,
    };

    /// <summary>The configuration given, or <see langword="null"/> when none was (an empty value turns broadcasting off).</summary>
    public static string? ValueOf(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>The options' own check, phrased for the command line; null when they are valid. Never repeats the configuration string.</summary>
    public static string? Check(string configuration, string prefix)
    {
        try
        {
            new LayeredAuthRedisOptions { Configuration = configuration, KeyPrefix = prefix }.Validate();
            return null;
        }
        catch (InvalidOperationException exception)
        {
            return exception.Message
                .Replace("LayeredAuth:Redis:Configuration", "--redis", StringComparison.Ordinal)
                .Replace("LayeredAuth:Redis:KeyPrefix", "--redis-prefix", StringComparison.Ordinal);
        }
    }
}
