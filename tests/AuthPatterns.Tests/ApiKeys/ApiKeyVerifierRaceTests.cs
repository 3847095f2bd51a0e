using AuthPatterns.ApiKeys;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.ApiKeys;

public sealed class ApiKeyVerifierRaceTests
{
    [Fact]
    public async Task A_verification_that_read_the_record_before_a_revocation_does_not_cache_it()
    {
        var store = new GatedStore();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56)));
        services.AddSingleton<IApiKeyStore>(store);
        services.AddLayeredAuth().AddApiKeys(ApiKeyTestApp.Cheap);
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<ApiKeyManager>();
        var verifier = provider.GetRequiredService<ApiKeyVerifier>();
        var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["a:b"] });

        store.Arm();
        var inFlight = verifier.VerifyAsync(created.Key, null, default).AsTask();
        await store.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await manager.RevokeAsync(created.Info.Id, "leaked");
        store.Release.SetResult();
        await inFlight;

        var next = await verifier.VerifyAsync(created.Key, null, default);

        Assert.Equal(ApiKeyOutcomes.Revoked, next.Outcome);
    }

    /// <summary>A store whose next look-up, once armed, reads the record and then waits before returning it.</summary>
    private sealed class GatedStore : IApiKeyStore
    {
        private readonly InMemoryApiKeyStore _inner = new();
        private int _armed;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Arm() => Volatile.Write(ref _armed, 1);

        public async Task<ApiKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default)
        {
            var record = await _inner.FindByIdAsync(keyId, cancellationToken);
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Entered.SetResult();
                await Release.Task;
            }

            return record;
        }

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default) => _inner.ListAsync(ownerId, tenant, cancellationToken);

        public Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => _inner.CreateAsync(record, cancellationToken);

        public Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => _inner.UpdateAsync(record, cancellationToken);

        public Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default) => _inner.RollAsync(successor, replaced, cancellationToken);

        public Task UpdateHashAsync(string keyId, string hash, CancellationToken cancellationToken = default) => _inner.UpdateHashAsync(keyId, hash, cancellationToken);

        public Task RecordLastUsesAsync(IReadOnlyCollection<ApiKeyLastUse> uses, CancellationToken cancellationToken = default) => _inner.RecordLastUsesAsync(uses, cancellationToken);

        public Task AddUsageEventsAsync(IReadOnlyCollection<ApiKeyUsageEvent> events, CancellationToken cancellationToken = default) => _inner.AddUsageEventsAsync(events, cancellationToken);

        public Task<IReadOnlyList<ApiKeyUsageEvent>> ListUsageEventsAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default) => _inner.ListUsageEventsAsync(keyId, since, cancellationToken);

        public Task<int> DeleteUsageEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) => _inner.DeleteUsageEventsAsync(olderThan, cancellationToken);

        public Task AddUsageCountsAsync(IReadOnlyCollection<ApiKeyUsageCount> counts, CancellationToken cancellationToken = default) =>
            _inner.AddUsageCountsAsync(counts, cancellationToken);

        public Task<IReadOnlyList<ApiKeyUsageCount>> ListUsageCountsAsync(string? keyId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
            _inner.ListUsageCountsAsync(keyId, since, cancellationToken);

        public Task<int> DeleteUsageCountsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
            _inner.DeleteUsageCountsAsync(olderThan, cancellationToken);
    }
}
