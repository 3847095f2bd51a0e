using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

/// <summary>Fails startup with a message naming the option; never repeats the configuration string (it may hold a password).</summary>
internal sealed class ValidateLayeredAuthRedisOptions : IValidateOptions<LayeredAuthRedisOptions>
{
    public ValidateOptionsResult Validate(string? name, LayeredAuthRedisOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            return ValidateOptionsResult.Fail(
                "LayeredAuth:Redis:Configuration is required: a StackExchange.Redis configuration string such as 'redis.internal:6379'.");
        }

        try
        {
            _ = ConfigurationOptions.Parse(options.Configuration);
        }
        catch (ArgumentException)
        {
            return ValidateOptionsResult.Fail(
                "LayeredAuth:Redis:Configuration is not a valid StackExchange.Redis configuration string (the value is not shown: it may hold a password).");
        }

        if (string.IsNullOrWhiteSpace(options.KeyPrefix) || options.KeyPrefix.Any(char.IsWhiteSpace))
        {
            return ValidateOptionsResult.Fail("LayeredAuth:Redis:KeyPrefix must be a non-empty string without spaces.");
        }

        return ValidateOptionsResult.Success;
    }
}
