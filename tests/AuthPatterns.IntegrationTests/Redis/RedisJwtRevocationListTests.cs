using AuthPatterns.StackExchangeRedis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.IntegrationTests.Redis;

/// <summary>The local copy of the shared deny list, which anyone who can publish on the channel writes; no Redis needed.</summary>
public sealed class RedisJwtRevocationListTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Far_future_denials_fill_the_local_copy_only_up_to_its_capacity_and_expired_ids_make_room()
    {
        var list = new RedisJwtRevocationList(null!, Options.Create(new LayeredAuthRedisOptions()), _time, NullLogger<RedisJwtRevocationList>.Instance);
        for (var i = 0; i < RedisJwtRevocationList.Capacity; i++)
        {
            list.Remember($"short-{i}", _time.GetUtcNow().AddMinutes(5));
        }

        list.Remember("far-future", DateTimeOffset.MaxValue);
        Assert.False(await list.IsRevokedAsync("far-future"));
        Assert.True(await list.IsRevokedAsync("short-0"));

        _time.Advance(TimeSpan.FromMinutes(6));
        list.Remember("after-expiry", _time.GetUtcNow().AddHours(1));
        Assert.True(await list.IsRevokedAsync("after-expiry"));
        Assert.False(await list.IsRevokedAsync("short-0"));
    }
}
