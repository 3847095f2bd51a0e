using System.Globalization;
using System.Security.Cryptography;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

/// <summary>
/// Announces forward-auth sign-outs on the revocation channel as <c>f:{scheme}:{session}</c>, the session being the
/// answer cache's HMAC of the cookie in hex, never the cookie. So that every instance computes the same HMAC, their
/// answer caches share one secret, kept in Redis (<c>{prefix}:forward-auth-secret</c>, created once by whichever
/// instance comes first). Whoever reads it learns nothing of a cookie; whoever can publish on the channel can already
/// sign anyone out of the caches, which costs that user one portal call.
/// </summary>
internal sealed class RedisForwardAuthSignOutNotifier : IForwardAuthSignOutNotifier
{
    /// <summary>Hex digits of a session name: 256 bits.</summary>
    internal const int SessionLength = 64;

    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly RedisKey _secretKey;
    private readonly RedisChannel _channel;
    private byte[]? _secret;

    public RedisForwardAuthSignOutNotifier(IConnectionMultiplexer redis, IOptions<LayeredAuthRedisOptions> options, TimeProvider time, ILogger<RedisForwardAuthSignOutNotifier> logger)
    {
        _redis = redis;
        _time = time;
        _timeout = options.Value.OperationTimeout;
        _logger = logger;
        _secretKey = options.Value.KeyPrefix + ":forward-auth-secret";
        _channel = RedisChannel.Literal(options.Value.KeyPrefix + ":revocations");
    }

    public byte[]? SharedSecret => Volatile.Read(ref _secret);

    public async Task PublishAsync(string scheme, CredentialKey session, CancellationToken cancellationToken)
    {
        if (SharedSecret is null || !_redis.IsConnected)
        {
            _logger.SignOutNotBroadcast(scheme, exception: null);
            return;
        }

        try
        {
            await _redis.GetSubscriber().PublishAsync(_channel, $"f:{scheme}:{Format(session)}").WaitAsync(_timeout, _time, cancellationToken);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            _logger.SignOutNotBroadcast(scheme, exception);
        }
    }

    /// <summary>Reads the shared secret, creating it when no instance has yet (at startup and after Redis was unreachable).</summary>
    public async Task LoadSecretAsync()
    {
        try
        {
            var database = _redis.GetDatabase();
            await database.StringSetAsync(_secretKey, RandomNumberGenerator.GetBytes(32), when: When.NotExists);
            var stored = (byte[]?)await database.StringGetAsync(_secretKey);
            if (stored is { Length: >= 32 })
            {
                Volatile.Write(ref _secret, stored);
            }
            else if (stored is not null)
            {
                // Garbled, or written by something else under this prefix: never used, and said once per load, not
                // mistaken for an unreachable Redis at every sign-out.
                _logger.SignOutSecretRejected(_secretKey.ToString());
            }
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            _logger.SignOutSecretLoadFailed(exception);
        }
    }

    internal static string Format(CredentialKey session) =>
        string.Create(CultureInfo.InvariantCulture, $"{session.A:x16}{session.B:x16}{session.C:x16}{session.D:x16}");

    internal static bool TryParse(ReadOnlySpan<char> text, out CredentialKey session)
    {
        session = default;
        if (text.Length != SessionLength
            || !ulong.TryParse(text[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var a)
            || !ulong.TryParse(text[16..32], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b)
            || !ulong.TryParse(text[32..48], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var c)
            || !ulong.TryParse(text[48..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var d))
        {
            return false;
        }

        session = new CredentialKey(a, b, c, d);
        return true;
    }
}
