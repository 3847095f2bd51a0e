using System.Net;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tests.Layered;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>A key store that cannot be reached fails closed with 503 and Retry-After, never 500; cached keys keep working.</summary>
public sealed class ApiKeyStoreOutageTests
{
    [Fact]
    public async Task Store_outage_refuses_uncached_keys_with_503_and_keeps_cached_ones()
    {
        var store = new OutageStore(new InMemoryApiKeyStore());
        await using var app = await LayeredTestHost.StartAsync(
            app => app.MapGet("/x", () => "x").RequireScope("x:read"),
            layered => layered.AddApiKeys(ApiKeyTestApp.Cheap),
            services => services.AddSingleton<IApiKeyStore>(store));
        var manager = app.Services.GetRequiredService<ApiKeyManager>();
        var warm = (await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "a", Scopes = ["x:read"] })).Key;
        var cold = (await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "b", Scopes = ["x:read"] })).Key;
        var client = app.Client();

        Assert.Equal(HttpStatusCode.OK, (await Get(client, warm)).StatusCode);

        store.Down = true;
        var refused = await Get(client, cold);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Equal("temporarily_unavailable", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        Assert.DoesNotContain("store is down", body, StringComparison.Ordinal);
        Assert.DoesNotContain(cold, body, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await Get(client, warm)).StatusCode);

        store.Down = false;
        Assert.Equal(HttpStatusCode.OK, (await Get(client, cold)).StatusCode);
    }

    [Fact]
    public async Task Usage_written_during_an_outage_is_kept_and_written_afterwards()
    {
        var store = new OutageStore(new InMemoryApiKeyStore());
        await using var app = await LayeredTestHost.StartAsync(
            app => app.MapGet("/x", () => "x").RequireScope("x:read"),
            layered => layered.AddApiKeys(options =>
            {
                ApiKeyTestApp.Cheap(options);
                options.RecordUsageEvents = true;
            }),
            services => services.AddSingleton<IApiKeyStore>(store));
        var created = await app.Services.GetRequiredService<ApiKeyManager>().CreateAsync(new ApiKeyCreateRequest { OwnerId = "a", Scopes = ["x:read"] });
        var recorder = app.Services.GetRequiredService<ApiKeyUsageRecorder>();
        var client = app.Client();

        Assert.Equal(HttpStatusCode.OK, (await Get(client, created.Key)).StatusCode);
        store.Down = true;
        Assert.Equal(HttpStatusCode.OK, (await Get(client, created.Key)).StatusCode);
        await recorder.FlushAsync();
        Assert.Null((await store.Inner.FindByIdAsync(created.Info.Id))!.LastUsedAt);

        store.Down = false;
        await recorder.FlushAsync();
        Assert.NotNull((await store.Inner.FindByIdAsync(created.Info.Id))!.LastUsedAt);
        var events = await store.Inner.ListUsageEventsAsync(created.Info.Id, DateTimeOffset.MinValue);
        Assert.Equal(2, events.Count);
    }

    private static Task<HttpResponseMessage> Get(HttpClient client, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("X-API-Key", key);
        return client.SendAsync(request);
    }

    private sealed class OutageStore(IApiKeyStore inner) : IApiKeyStore
    {
        public volatile bool Down;

        public IApiKeyStore Inner => inner;

        private void ThrowIfDown()
        {
            if (Down)
            {
                throw new InvalidOperationException("store is down");
            }
        }

        public Task<ApiKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default)
        {
            ThrowIfDown();
            return inner.FindByIdAsync(keyId, cancellationToken);
        }

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default) =>
            inner.ListAsync(ownerId, tenant, cancellationToken);

        public Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => inner.CreateAsync(record, cancellationToken);

        public Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => inner.UpdateAsync(record, cancellationToken);

        public Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default) => inner.RollAsync(successor, replaced, cancellationToken);

        public Task UpdateHashAsync(string keyId, string hash, CancellationToken cancellationToken = default) => inner.UpdateHashAsync(keyId, hash, cancellationToken);

        public Task RecordLastUsesAsync(IReadOnlyCollection<ApiKeyLastUse> uses, CancellationToken cancellationToken = default)
        {
            ThrowIfDown();
            return inner.RecordLastUsesAsync(uses, cancellationToken);
        }

        public Task AddUsageEventsAsync(IReadOnlyCollection<ApiKeyUsageEvent> events, CancellationToken cancellationToken = default)
        {
            ThrowIfDown();
            return inner.AddUsageEventsAsync(events, cancellationToken);
        }

        public Task<IReadOnlyList<ApiKeyUsageEvent>> ListUsageEventsAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
            inner.ListUsageEventsAsync(keyId, since, cancellationToken);

        public Task<int> DeleteUsageEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
            inner.DeleteUsageEventsAsync(olderThan, cancellationToken);

        public Task AddUsageCountsAsync(IReadOnlyCollection<ApiKeyUsageCount> counts, CancellationToken cancellationToken = default)
        {
            ThrowIfDown();
            return inner.AddUsageCountsAsync(counts, cancellationToken);
        }

        public Task<IReadOnlyList<ApiKeyUsageCount>> ListUsageCountsAsync(string? keyId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
            inner.ListUsageCountsAsync(keyId, since, cancellationToken);

        public Task<int> DeleteUsageCountsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
            inner.DeleteUsageCountsAsync(olderThan, cancellationToken);
    }
}
