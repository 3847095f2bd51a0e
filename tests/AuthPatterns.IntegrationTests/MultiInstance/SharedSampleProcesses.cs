using System.Diagnostics;
using System.Globalization;

namespace AuthPatterns.IntegrationTests.MultiInstance;

/// <summary>
/// One pair of real sample processes shared by every test of a class (starting processes is what such tests spend their
/// time on): a PostgreSQL key store of their own on the shared server, a <c>redis-server</c> of their own (so a test may
/// pause it; never the shared one), and one development signing-key directory, so a token the tool mints is accepted by
/// both. Tests using it must leave both processes and both servers running.
/// </summary>
public sealed class SharedSampleProcesses : IAsyncLifetime
{
    /// <summary>
    /// The Argon2id verifications one key id may cost per minute, from everywhere: two are spent by the owner's first use
    /// on each instance, which leaves a guess budget of <see cref="GuessBudget"/>.
    /// </summary>
    public const int VerificationsPerKey = GuessBudget + 2;

    /// <summary>The wrong secrets one key id may be tried with, across both instances, before both answer 429.</summary>
    public const int GuessBudget = 10;

    private readonly OwnedResources _owned = new();

    public string Prefix { get; } = $"authpatterns-shared-{Guid.NewGuid():N}";

    public string KeyDirectory { get; } = Path.Combine(Path.GetTempPath(), $"authpatterns-shared-keys-{Guid.NewGuid():N}");

    internal OwnRedisServer Redis { get; private set; } = null!;

    internal KeyStoreDatabase Store { get; private set; } = null!;

    internal SampleInstance A { get; private set; } = null!;

    internal SampleInstance B { get; private set; } = null!;

    public TimeSpan StartedIn { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        Redis = Own(await OwnRedisServer.StartAsync());
        Store = Own(await KeyStoreDatabase.CreateAsync(TestEnvironment.PostgresConnectionString));
        Directory.CreateDirectory(KeyDirectory);
        var environment = new Dictionary<string, string>
        {
            // Development turns the sample's own token issuer on (keys in KeyDirectory), which the tool mints with.
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["LayeredAuth__Jwt__DevelopmentKeyDirectory"] = KeyDirectory,
            ["LayeredAuth__ApiKeys__Provider"] = "postgres",
            ["LayeredAuth__ApiKeys__ConnectionString"] = Store.ConnectionString,
            ["LayeredAuth__Redis__Configuration"] = Redis.Configuration,
            ["LayeredAuth__Redis__KeyPrefix"] = Prefix,
            ["LayeredAuth__ApiKeys__HashMemorySize"] = KeyStoreDatabase.HashMemorySize.ToString(CultureInfo.InvariantCulture),
            ["LayeredAuth__ApiKeys__HashIterations"] = "1",
            ["LayeredAuth__ApiKeys__MaxVerificationsPerKey"] = VerificationsPerKey.ToString(CultureInfo.InvariantCulture),

            // Every request of the test comes from 127.0.0.1: the per-address budget would throttle the test, not a guesser.
            ["LayeredAuth__ApiKeys__MaxVerificationsPerAddress"] = "1000000",
        };

        // One after the other: the first creates the signing key, the second finds it.
        A = Own(await SampleInstance.StartAsync("A", environment));
        B = Own(await SampleInstance.StartAsync("B", environment));
        StartedIn = clock.Elapsed;
    }

    public async Task DisposeAsync()
    {
        var failures = new List<Exception>();
        await _owned.DisposeAllAsync(failures);

        try
        {
            Directory.Delete(KeyDirectory, recursive: true);
        }
        catch (IOException exception)
        {
            failures.Add(exception);
        }

        if (failures.Count > 0)
        {
            throw new AggregateException("cleaning up the shared processes failed", failures);
        }
    }

    private T Own<T>(T owned)
        where T : IAsyncDisposable => _owned.Own(owned);
}
