using AuthPatterns.Issuing;
using AuthPatterns.StackExchangeRedis;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace AuthPatterns.IntegrationTests.Redis;

/// <summary>Rings sharing one key directory and the real Redis: one rotation publishes one successor.</summary>
public sealed class RedisSigningKeyRotationTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("authpatterns-rotation-").FullName;
    private readonly IOptions<LayeredAuthRedisOptions> _redisOptions = Options.Create(new LayeredAuthRedisOptions { KeyPrefix = $"authpatterns-test-{Guid.NewGuid():N}" });
    private readonly IDataProtectionProvider _protection = new EphemeralDataProtectionProvider();
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task While_another_instance_holds_the_rotation_lock_in_Redis_a_ring_creates_no_key_until_it_is_released()
    {
        var rotationLock = new RedisSigningKeyRotationLock(_redis, _redisOptions, TimeProvider.System, NullLogger<RedisSigningKeyRotationLock>.Instance);
        Assert.True(await _redis.GetDatabase().LockTakeAsync(rotationLock.Key, "another-instance", TimeSpan.FromSeconds(30)));
        var ring = Ring(TimeProvider.System, rotationLock);

        var first = Task.Run(ring.GetSnapshot);
        await Task.Delay(300);
        Assert.False(first.IsCompleted);
        Assert.Empty(KeyFiles());

        Assert.True(await _redis.GetDatabase().LockReleaseAsync(rotationLock.Key, "another-instance"));
        var snapshot = await first.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(KeyFiles());
        Assert.False(await _redis.GetDatabase().KeyExistsAsync(rotationLock.Key));
        Assert.NotNull(snapshot.Current);
    }

    [Fact]
    public async Task Two_rings_racing_at_a_rotation_publish_one_successor()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var lockA = new RedisSigningKeyRotationLock(_redis, _redisOptions, TimeProvider.System, NullLogger<RedisSigningKeyRotationLock>.Instance);
        var lockB = new RedisSigningKeyRotationLock(_redis, _redisOptions, TimeProvider.System, NullLogger<RedisSigningKeyRotationLock>.Instance);
        var a = Ring(time, lockA);
        var b = Ring(time, lockB);
        var first = a.GetSnapshot().Current;
        Assert.Single(KeyFiles());

        // Inside the publish-ahead window: each ring, refreshing, finds that a successor is due.
        time.Advance(TimeSpan.FromDays(29));
        using var start = new Barrier(2);
        var racing = new[] { a, b }.Select(ring => Task.Run(() =>
        {
            start.SignalAndWait();
            return ring.GetSnapshot();
        })).ToArray();
        var snapshots = await Task.WhenAll(racing);

        Assert.Equal(2, KeyFiles().Length);
        Assert.All(snapshots, s => Assert.Equal(first.KeyId, s.Current.KeyId));
        Assert.Equal(snapshots[0].Published.Select(k => k.KeyId).Order(), snapshots[1].Published.Select(k => k.KeyId).Order());
    }

    [Fact]
    public async Task A_ring_that_finds_the_key_created_while_it_waited_for_the_lock_file_does_not_wait_for_the_lock_in_Redis()
    {
        // Another machine holds the shared lock for the whole of its expiry.
        var rotationLock = new RedisSigningKeyRotationLock(_redis, _redisOptions, TimeProvider.System, NullLogger<RedisSigningKeyRotationLock>.Instance);
        Assert.True(await _redis.GetDatabase().LockTakeAsync(rotationLock.Key, "another-instance", TimeSpan.FromSeconds(30)));

        // The key another instance on this machine creates while the ring waits for the lock file.
        var elsewhere = Directory.CreateTempSubdirectory("authpatterns-rotation-elsewhere-").FullName;
        try
        {
            var created = new SigningKeyRing(
                Options.Create(new SigningKeyRingOptions { KeyDirectory = elsewhere, DataProtectionProvider = _protection }),
                _protection, TimeProvider.System, NullLogger<SigningKeyRing>.Instance).GetSnapshot().Current;
            var keyFile = Directory.GetFiles(elsewhere, "key-*.json").Single();

            var ring = Ring(TimeProvider.System, rotationLock);
            Task<SigningKeyRingSnapshot> first;
            using (new FileStream(Path.Combine(_directory, SigningKeyRing.LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            {
                first = Task.Run(ring.GetSnapshot);
                await Task.Delay(300);
                Assert.False(first.IsCompleted);
                File.Copy(keyFile, Path.Combine(_directory, Path.GetFileName(keyFile)));
            }

            // Waiting for the lock in Redis would take the ring's whole lock wait (10 s) and end in a timeout.
            var snapshot = await first.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(created.KeyId, snapshot.Current.KeyId);
            Assert.Single(KeyFiles());
            Assert.Equal("another-instance", (string?)await _redis.GetDatabase().LockQueryAsync(rotationLock.Key));
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public void With_Redis_unreachable_a_ring_rotates_under_its_lock_file_alone()
    {
        using var unreachable = ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { "127.0.0.1:1" }, AbortOnConnectFail = false, ConnectTimeout = 500 });
        var rotationLock = new RedisSigningKeyRotationLock(unreachable, _redisOptions, TimeProvider.System, NullLogger<RedisSigningKeyRotationLock>.Instance);

        Assert.Null(rotationLock.Acquire(TimeSpan.FromSeconds(1)));
        Assert.NotNull(Ring(TimeProvider.System, rotationLock).GetSnapshot().Current);
        Assert.Single(KeyFiles());
    }

    private SigningKeyRing Ring(TimeProvider time, ISigningKeyRotationLock rotationLock) => new(
        Options.Create(new SigningKeyRingOptions { KeyDirectory = _directory, DataProtectionProvider = _protection }),
        _protection,
        time,
        NullLogger<SigningKeyRing>.Instance,
        rotationLock);

    private string[] KeyFiles() => Directory.GetFiles(_directory, "key-*.json");
}
