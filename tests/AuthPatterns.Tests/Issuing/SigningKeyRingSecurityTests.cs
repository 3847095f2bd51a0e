using System.Text.Json;
using System.Text.Json.Nodes;
using AuthPatterns.Issuing;
using AuthPatterns.Tests.Jwt;
using AuthPatterns.Tool;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Issuing;

/// <summary>
/// The signing key ring against someone who can write its directory, a bad file, a wrong clock, Data Protection keys
/// lost at a restart, and instances starting together.
/// </summary>
public sealed class SigningKeyRingSecurityTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ap-ring-").FullName;
    private readonly FakeTimeProvider _time = new(Start);
    private readonly IDataProtectionProvider _protection = new EphemeralDataProtectionProvider();
    private readonly LogCapture _logs = new();

    public void Dispose()
    {
        _logs.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private SigningKeyRing Ring(TimeProvider? time = null, IDataProtectionProvider? protection = null) => new(
        Options.Create(new SigningKeyRingOptions { KeyDirectory = _directory }),
        protection ?? _protection,
        time ?? _time,
        LoggerFactory.Create(b => b.AddProvider(_logs)).CreateLogger<SigningKeyRing>());

    private string FileOf(string keyId) => Path.Combine(_directory, $"key-{keyId}.json");

    private string[] KeyFiles() => Directory.GetFiles(_directory, "key-*.json");

    // Finding 3: a compromised key can be withdrawn at once, everywhere.

    [Fact]
    public void Emergency_rotation_withdraws_the_key_at_once_and_an_instance_sharing_the_directory_follows_within_its_refresh()
    {
        var first = Ring();
        var second = Ring();
        var compromised = first.GetSnapshot().Current.KeyId;
        Assert.Equal(compromised, second.GetSnapshot().Current.KeyId);
        var copy = File.ReadAllBytes(FileOf(compromised));

        var fresh = first.RotateNow();

        Assert.NotEqual(compromised, fresh.KeyId);
        Assert.Null(first.GetSnapshot().Find(compromised));
        Assert.Equal(fresh.KeyId, first.GetSnapshot().Current.KeyId);
        Assert.False(File.Exists(FileOf(compromised)));
        Assert.True(File.Exists(Path.Combine(_directory, $"withdrawn-{compromised}.json")));

        _time.Advance(SigningKeyRing.CheckInterval);
        var followed = second.GetSnapshot();
        Assert.Equal(fresh.KeyId, followed.Current.KeyId);
        Assert.Null(followed.Find(compromised));
        Assert.Single(KeyFiles());

        // A copy of the withdrawn file put back is dropped again, by a running instance and by a new one.
        File.WriteAllBytes(FileOf(compromised), copy);
        _time.Advance(SigningKeyRing.CheckInterval);
        Assert.Null(second.GetSnapshot().Find(compromised));
        Assert.Null(Ring().GetSnapshot().Find(compromised));
        Assert.Contains(_logs.Entries, e => e.EventId == 3052);
    }

    [Fact]
    public void Emergency_rotation_deleting_a_key_file_drops_the_key_at_the_next_refresh()
    {
        var ring = Ring();
        var key = ring.GetSnapshot().Current.KeyId;

        File.Delete(FileOf(key));
        _time.Advance(SigningKeyRing.CheckInterval);
        var after = ring.GetSnapshot();

        Assert.NotEqual(key, after.Current.KeyId);
        Assert.Null(after.Find(key));
        Assert.Contains(_logs.Entries, e => e.EventId == 3051);
    }

    [Fact]
    public async Task Emergency_rotation_through_the_manager_and_the_tool()
    {
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton(_protection)
            .AddLogging()
            .AddSigningKeyRing(o => o.KeyDirectory = _directory)
            .BuildServiceProvider();
        var manager = services.GetRequiredService<SigningKeyManager>();
        var before = Assert.Single(manager.GetKeys());
        Assert.True(before.IsCurrent);

        var after = await manager.RotateNowAsync();
        Assert.NotEqual(before.KeyId, after.KeyId);
        Assert.Equal([after.KeyId], manager.GetKeys().Select(k => k.KeyId));
        Assert.False(await manager.RetireAsync("unknownkid"));
        await Assert.ThrowsAsync<ArgumentException>(() => manager.RetireAsync("../key"));

        // The tool, on the development ring: retire the current key by id, then rotate.
        var development = Path.Combine(_directory, "dev");
        var devKey = (await TokenCommand.MintAsync("orders-api", "dev", [], TimeSpan.FromMinutes(5), development, default)).AccessToken;
        var kid = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(devKey).Kid;
        Assert.Equal(0, await SigningKeysCommand.Create().Parse(["retire", kid, "--development", "--directory", development]).InvokeAsync());
        Assert.False(File.Exists(Path.Combine(development, $"key-{kid}.json")));
        Assert.Equal(1, await SigningKeysCommand.Create().Parse(["retire", kid, "--development", "--directory", development]).InvokeAsync());
        Assert.Equal(2, await SigningKeysCommand.Create().Parse(["retire", "bad/kid", "--development", "--directory", development]).InvokeAsync());
        Assert.Equal(0, await SigningKeysCommand.Create().Parse(["rotate", "--development", "--directory", development]).InvokeAsync());
        Assert.Equal(2, Directory.GetFiles(development, "withdrawn-*.json").Length);
        Assert.Equal(2, await SigningKeysCommand.Create().Parse(["list", "--directory", development]).InvokeAsync());
    }

    [Fact]
    public void Inspecting_the_key_directory_through_the_manager_creates_nothing_and_names_the_ignored_files()
    {
        using var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton(_protection)
            .AddLogging()
            .AddSigningKeyRing(o => o.KeyDirectory = _directory)
            .BuildServiceProvider();
        var manager = services.GetRequiredService<SigningKeyManager>();
        Directory.CreateDirectory(_directory);

        var empty = manager.Inspect();
        Assert.Empty(empty.Keys);
        Assert.Empty(empty.IgnoredFiles);
        Assert.Empty(Directory.GetFiles(_directory, "key-*.json"));

        var signing = Assert.Single(manager.GetKeys());
        File.WriteAllText(Path.Combine(_directory, "key-junk.json"), "not json");
        var inspection = manager.Inspect();

        var key = Assert.Single(inspection.Keys);
        Assert.Equal(signing.KeyId, key.KeyId);
        Assert.True(key.IsCurrent);
        Assert.True(key.IsPublished);
        var ignored = Assert.Single(inspection.IgnoredFiles);
        Assert.Equal("key-junk.json", ignored.File);
        Assert.Equal(SigningKeyFileProblem.Malformed, ignored.Problem);
        Assert.Equal("it is not a valid key file", ignored.Description);
        Assert.Equal(2, Directory.GetFiles(_directory, "key-*.json").Length);
    }

    [Fact]
    public void Emergency_rotation_an_edited_schedule_or_a_key_cloned_under_another_kid_is_refused()
    {
        var key = Ring().GetSnapshot().Current;

        // Someone who can write the directory keeps the key signing for years...
        var extended = JsonNode.Parse(File.ReadAllText(FileOf(key.KeyId)))!;
        extended["retiresAt"] = key.RetiresAt.AddYears(10);
        extended["unpublishAt"] = key.UnpublishAt.AddYears(10);
        File.WriteAllText(FileOf(key.KeyId), extended.ToJsonString());

        // ...or clones it under a new kid.
        var clone = JsonNode.Parse(extended.ToJsonString())!;
        clone["keyId"] = "clonedkid";
        File.WriteAllText(FileOf("clonedkid"), clone.ToJsonString());

        var ring = Ring();
        var snapshot = ring.GetSnapshot();
        Assert.NotEqual(key.KeyId, snapshot.Current.KeyId);
        Assert.Null(snapshot.Find(key.KeyId));
        Assert.Null(snapshot.Find("clonedkid"));
        Assert.Contains(ring.Issues, i => i.File == $"key-{key.KeyId}.json" && i.Problem == SigningKeyFileProblem.ScheduleMismatch);
        Assert.Contains(ring.Issues, i => i.File == "key-clonedkid.json" && i.Problem == SigningKeyFileProblem.Undecryptable);
    }

    [Fact]
    public void Emergency_rotation_the_schedule_and_kid_are_inside_the_protected_payload()
    {
        var key = Ring().GetSnapshot().Current;
        var file = JsonNode.Parse(File.ReadAllText(FileOf(key.KeyId)))!;
        var payload = _protection.CreateProtector(SigningKeyRing.Purpose).CreateProtector(key.KeyId)
            .Unprotect(Convert.FromBase64String(file["protectedKey"]!.GetValue<string>()));
        var inside = JsonNode.Parse(payload)!;

        Assert.Equal(key.KeyId, inside["keyId"]!.GetValue<string>());
        Assert.Equal(key.RetiresAt, inside["retiresAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(key.UnpublishAt, inside["unpublishAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(key.ActivatesAt, inside["activatesAt"]!.GetValue<DateTimeOffset>());
    }

    // Finding 4: one bad file never takes down the ring.

    [Fact]
    public async Task One_bad_file_is_skipped_logged_once_and_reported_as_degraded_while_the_good_keys_serve()
    {
        var good = Ring().GetSnapshot().Current;
        File.WriteAllText(Path.Combine(_directory, "key-nullkey.json"), """{"version":2,"keyId":"nullkey","protectedKey":null}""");
        File.WriteAllText(Path.Combine(_directory, "key-broken.json"), "{ not json");
        File.WriteAllText(Path.Combine(_directory, "key-old.json"), """{"keyId":"old","protectedKey":"AAAA"}""");
        var foreign = new SigningKeyRing(
            Options.Create(new SigningKeyRingOptions { KeyDirectory = Path.Combine(_directory, "other") }),
            new EphemeralDataProtectionProvider(),
            _time,
            NullLogger<SigningKeyRing>.Instance).GetSnapshot().Current.KeyId;
        File.Copy(Path.Combine(_directory, "other", $"key-{foreign}.json"), FileOf(foreign));

        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton(_protection)
            .AddLogging(b => b.AddProvider(_logs))
            .AddSigningKeyRing(o => o.KeyDirectory = _directory);
        services.AddHealthChecks().AddSigningKeyRingCheck();
        await using var provider = services.BuildServiceProvider();
        var ring = provider.GetRequiredService<SigningKeyRing>();

        for (var minute = 0; minute < 5; minute++)
        {
            var snapshot = ring.GetSnapshot();
            Assert.Equal(good.KeyId, snapshot.Current.KeyId);
            Assert.Equal([good.KeyId], snapshot.Published.Select(k => k.KeyId));
            _time.Advance(SigningKeyRing.CheckInterval);
        }

        var ignored = _logs.Entries.Where(e => e.EventId == 3050).Select(e => e.Message).ToList();
        Assert.Equal(4, ignored.Count);
        Assert.Contains(ignored, m => m.Contains("key-nullkey.json", StringComparison.Ordinal) && m.Contains("not a valid key file", StringComparison.Ordinal));
        Assert.Contains(ignored, m => m.Contains("key-broken.json", StringComparison.Ordinal));
        Assert.Contains(ignored, m => m.Contains("key-old.json", StringComparison.Ordinal) && m.Contains("earlier version", StringComparison.Ordinal));
        Assert.Contains(ignored, m => m.Contains($"key-{foreign}.json", StringComparison.Ordinal) && m.Contains("Data Protection", StringComparison.Ordinal));

        var health = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = health.Entries["signing-keys"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("key-broken.json", entry.Description, StringComparison.Ordinal);
        Assert.Contains($"key-{foreign}.json", entry.Description, StringComparison.Ordinal);

        // Fixed (the file removed): healthy again.
        foreach (var bad in new[] { "key-nullkey.json", "key-broken.json", "key-old.json", $"key-{foreign}.json" })
        {
            File.Delete(Path.Combine(_directory, bad));
        }

        _time.Advance(SigningKeyRing.CheckInterval);
        Assert.Equal(HealthStatus.Healthy, (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["signing-keys"].Status);
    }

    // Finding 5: a clock that jumps forward, then is corrected.

    [Fact]
    public void A_forward_clock_jump_deletes_no_key_file_and_after_the_correction_the_ring_signs_with_the_key_of_the_real_time()
    {
        var clock = new SettableTime(Start);
        var ring = Ring(clock);
        var real = ring.GetSnapshot().Current;

        clock.Now = Start.AddYears(1);
        var jumped = ring.GetSnapshot();
        clock.Now = Start.AddYears(1).AddMinutes(1);
        ring.GetSnapshot();
        Assert.True(File.Exists(FileOf(real.KeyId)));
        Assert.True(ring.DeletionDeferred);
        Assert.Contains(_logs.Entries, e => e.EventId == 3053);

        clock.Now = Start.AddMinutes(3);
        var corrected = ring.GetSnapshot();
        Assert.Equal(real.KeyId, corrected.Current.KeyId);
        Assert.Null(corrected.Find(jumped.Current.KeyId));

        // An instance whose clock never jumped publishes the same set.
        var other = Ring(clock).GetSnapshot();
        Assert.Equal(corrected.Published.Select(k => k.KeyId), other.Published.Select(k => k.KeyId));
        Assert.Equal(real.KeyId, other.Current.KeyId);

        // Files created "in the future" keep every deletion off until the clock reaches them.
        clock.Now = real.UnpublishAt.AddDays(1);
        ring.GetSnapshot();
        clock.Now = real.UnpublishAt.AddDays(4);
        ring.GetSnapshot();
        Assert.True(File.Exists(FileOf(real.KeyId)));
        Assert.True(ring.DeletionDeferred);
    }

    [Fact]
    public void A_forward_clock_jump_rotation_deletes_an_expired_key_once_its_successor_has_taken_over()
    {
        var clock = new SettableTime(Start);
        var ring = Ring(clock);
        var first = ring.GetSnapshot().Current;
        clock.Now = first.RetiresAt.AddHours(-1);
        ring.GetSnapshot();
        clock.Now = first.UnpublishAt;
        var rotated = ring.GetSnapshot();

        Assert.NotEqual(first.KeyId, rotated.Current.KeyId);
        Assert.False(File.Exists(FileOf(first.KeyId)));
        Assert.False(ring.DeletionDeferred);
    }

    // Finding 6: Data Protection keys that do not survive a restart.

    [Fact]
    public async Task Data_protection_keys_only_in_memory_fail_at_startup_outside_development()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("Production", s => s.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider())));
        Assert.Contains("PersistKeysToFileSystem", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_protection_keys_not_persisted_warn_at_startup_naming_the_fix()
    {
        await using (await StartAsync("Production", _ => { }))
        {
            var warning = Assert.Single(_logs.Entries, e => e.EventId == 3055);
            Assert.Contains("PersistKeysToFileSystem", warning.Message, StringComparison.Ordinal);
        }

        _logs.Entries.Clear();
        var protectionKeys = Path.Combine(_directory, "protection");
        await using (await StartAsync("Production", s => s.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(protectionKeys)).SetApplicationName("test")))
        {
            Assert.DoesNotContain(_logs.Entries, e => e.EventId == 3055);
        }
    }

    [Fact]
    public async Task Data_protection_keys_lost_at_a_restart_are_reported_at_startup_and_not_retried_every_minute()
    {
        var before = Ring().GetSnapshot().Current;

        // The restart: the same directory, new Data Protection keys.
        await using var app = await StartAsync("Development", s => s.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider()));
        var startup = Assert.Single(_logs.Entries, e => e.EventId == 3056);
        Assert.Contains("PersistKeysToFileSystem", startup.Message, StringComparison.Ordinal);

        var ring = app.Services.GetRequiredService<SigningKeyRing>();
        for (var minute = 0; minute < 5; minute++)
        {
            _time.Advance(SigningKeyRing.CheckInterval);
            Assert.NotEqual(before.KeyId, ring.GetSnapshot().Current.KeyId);
        }

        Assert.Single(_logs.Entries, e => e.EventId == 3050);
        Assert.Contains(ring.Issues, i => i.File == $"key-{before.KeyId}.json" && i.Problem == SigningKeyFileProblem.Undecryptable);
    }

    // Finding 8: the development ring, file permissions, concurrent starts.

    [Fact]
    public async Task Development_keys_outside_development_fail_at_startup_unless_explicitly_allowed()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("Production", _ => { }, o => DevelopmentSigningKeys.Configure(o, _directory)));
        Assert.Contains("SigningKeyRingOptions.AllowDevelopmentKeysOutsideDevelopment", error.Message, StringComparison.Ordinal);

        await using var allowed = await StartAsync("Production", _ => { }, o =>
        {
            DevelopmentSigningKeys.Configure(o, _directory);
            o.AllowDevelopmentKeysOutsideDevelopment = true;
        });
        await using var development = await StartAsync("Development", _ => { }, o => DevelopmentSigningKeys.Configure(o, _directory));
    }

    [Fact]
    public void Key_directory_files_are_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes; Windows directories inherit their ACLs.
        }

        var directory = Path.Combine(_directory, "ring");
        var ring = new SigningKeyRing(
            Options.Create(new SigningKeyRingOptions { KeyDirectory = directory }), _protection, _time, NullLogger<SigningKeyRing>.Instance);
        var key = ring.GetSnapshot().Current.KeyId;
        ring.Retire(key);

        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(file | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        var written = Directory.GetFiles(directory, "*", SearchOption.AllDirectories);
        Assert.Equal(3, written.Length); // the successor's key file, the withdrawal marker, the lock file
        foreach (var path in written)
        {
            Assert.Equal(file, File.GetUnixFileMode(path));
        }

        var development = Path.Combine(_directory, "dev");
        var options = new SigningKeyRingOptions();
        DevelopmentSigningKeys.Configure(options, development);
        Assert.Equal(file | UnixFileMode.UserExecute, File.GetUnixFileMode(development));
        Assert.Equal(file | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(development, "protection-keys")));
    }

    [Fact]
    public void Six_rings_starting_at_once_on_one_directory_create_one_active_key()
    {
        var rings = Enumerable.Range(0, 6).Select(_ => Ring()).ToArray();
        using var start = new Barrier(rings.Length);
        var current = new string[rings.Length];
        var threads = rings.Select((ring, i) => new Thread(() =>
        {
            start.SignalAndWait();
            current[i] = ring.GetSnapshot().Current.KeyId;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Single(KeyFiles());
        Assert.Single(current.Distinct());
    }

    private async Task<WebApplication> StartAsync(string environment, Action<IServiceCollection> services, Action<SigningKeyRingOptions>? ring = null)
    {
        return await TestHost.Create(environment)
            .WithLogs(_logs)
            .WithTime(_time)
            .WithServices(services)
            .WithServices(s => s.AddSigningKeyRing(ring ?? (o => o.KeyDirectory = _directory)))
            .StartAsync();
    }

    private sealed class SettableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
