using AuthPatterns.ApiKeys;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

/// <summary>Announces API-key changes on the revocation channel; every instance, this one included, evicts the key.</summary>
internal sealed class RedisApiKeyRevocationNotifier : IApiKeyRevocationNotifier
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisRevocationBus _bus;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public RedisApiKeyRevocationNotifier(IConnectionMultiplexer redis, RedisRevocationBus bus, IOptions<LayeredAuthRedisOptions> options, TimeProvider time)
    {
        _redis = redis;
        _bus = bus;
        _timeout = options.Value.OperationTimeout;
        _time = time;
    }

    public async Task PublishAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        if (!_redis.IsConnected)
        {
            throw NotBroadcast(keyId, inner: null);
        }

        try
        {
            await _redis.GetSubscriber().PublishAsync(_bus.Channel, "k:" + keyId).WaitAsync(_timeout, _time, cancellationToken);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            throw NotBroadcast(keyId, exception);
        }
    }

    public Task SubscribeAsync(Func<string, Task> onChanged, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onChanged);
        _bus.OnKeyChanged(onChanged);
        return Task.CompletedTask;
    }

    private static InvalidOperationException NotBroadcast(string keyId, Exception? inner) => new(
        $"The change of API key {keyId} is stored but not broadcast: Redis is unreachable. Other instances drop the key when their cache entry expires (LayeredAuth:ApiKeys:CacheLifetime).",
        inner);
}
