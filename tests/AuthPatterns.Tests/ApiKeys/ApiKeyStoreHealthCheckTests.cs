using AuthPatterns.ApiKeys;

namespace AuthPatterns.Tests.ApiKeys;

public sealed class ApiKeyStoreHealthCheckTests
{
    [Fact]
    public async Task The_store_check_is_healthy_when_the_store_answers_and_unhealthy_when_it_throws()
    {
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, await CheckAsync(new InMemoryApiKeyStore()));
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, await CheckAsync(new BrokenStore()));
    }

    private static async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus> CheckAsync(IApiKeyStore store)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(store);
        services.AddHealthChecks().AddApiKeyStoreCheck();
        await using var provider = services.BuildServiceProvider();
        var report = await provider.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync();
        return report.Status;
    }

    private sealed class BrokenStore : IApiKeyStore
    {
        public Task<ApiKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default) => throw new InvalidOperationException("database down");

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task UpdateHashAsync(string keyId, string hash, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task RecordLastUsesAsync(IReadOnlyCollection<ApiKeyLastUse> uses, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task AddUsageEventsAsync(IReadOnlyCollection<ApiKeyUsageEvent> events, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ApiKeyUsageEvent>> ListUsageEventsAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<int> DeleteUsageEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task AddUsageCountsAsync(IReadOnlyCollection<ApiKeyUsageCount> counts, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ApiKeyUsageCount>> ListUsageCountsAsync(string? keyId, DateTimeOffset since, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<int> DeleteUsageCountsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
