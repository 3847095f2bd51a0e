using System.Net;
using System.Net.Http.Json;
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

    [Fact]
    public async Task Key_management_with_the_store_down_answers_503_with_Retry_After_not_409_or_500_and_the_manager_throws_store_unavailable()
    {
        var store = new OutageStore(new InMemoryApiKeyStore());
        await using var app = await ApiKeyTestApp.StartAsync(options => options.StoreFactory = _ => store, mapManagement: true);
        var admin = await app.CreateKeyAsync(
            [ApiKeyManagementEndpointRouteBuilderExtensions.DefaultScope, ApiKeyAuthenticationDefaults.ManagementAdminScope, "events:write"], owner: "operator", tenant: null);
        var target = await app.CreateKeyAsync(["events:write"], tenant: null);
        using (var warm = await app.SendAsync("/admin/api-keys", admin.Key))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        store.Down = true;
        var id = target.Info.Id;
        (HttpMethod Method, string Path, object? Body)[] calls =
        [
            (HttpMethod.Get, "/admin/api-keys", null),
            (HttpMethod.Get, $"/admin/api-keys/{id}", null),
            (HttpMethod.Post, "/admin/api-keys", new { ownerId = "partner-2", scopes = new[] { "events:write" } }),
            (HttpMethod.Post, $"/admin/api-keys/{id}/revoke", new { reason = "leaked" }),
            (HttpMethod.Post, $"/admin/api-keys/{id}/roll", new { gracePeriodSeconds = 60 }),
            (HttpMethod.Put, $"/admin/api-keys/{id}/scopes", new { scopes = new[] { "events:write" } }),
            (HttpMethod.Put, $"/admin/api-keys/{id}/expiry", new { expiresAt = (DateTimeOffset?)null }),
            (HttpMethod.Put, $"/admin/api-keys/{id}/networks", new { allowedNetworks = new[] { "10.0.0.0/8" } }),
        ];
        foreach (var (method, path, body) in calls)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Add("X-API-Key", admin.Key);
            using var response = await app.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{method} {path}: {(int)response.StatusCode} {text}");
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("The API-key store did not answer", text, StringComparison.Ordinal);
            Assert.DoesNotContain("store is down", text, StringComparison.Ordinal);
        }

        var error = await Assert.ThrowsAsync<ApiKeyStoreUnavailableException>(() => app.Manager.RevokeAsync(id, "leaked"));
        Assert.Equal("store is down", error.InnerException?.Message);
        Assert.True(app.Logs.Any(2030));

        store.Down = false;
        Assert.True(await app.Manager.RevokeAsync(id, "leaked"));
    }

    [Fact]
    public async Task Store_outage_logs_the_refused_verifications_once_with_the_exception_then_a_summary_a_minute_then_a_recovery_line()
    {
        var store = new OutageStore(new InMemoryApiKeyStore());
        await using var app = await ApiKeyTestApp.StartAsync(options => options.StoreFactory = _ => store);
        var cold = await app.CreateKeyAsync();

        store.Down = true;
        for (var i = 0; i < 20; i++)
        {
            using var refused = await app.SendAsync("/api/ping", cold.Key);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        var first = Assert.Single(app.Logs.Entries, e => e.EventId == 2013);
        Assert.Equal(LogLevel.Error, first.Level);
        Assert.Contains("store is down", first.Exception, StringComparison.Ordinal);
        Assert.False(app.Logs.Any(2019));
        Assert.Equal(19, app.Logs.Entries.Count(e => e.EventId == 2021 && e.Level == LogLevel.Debug && e.Exception is null));

        app.Time.Advance(TimeSpan.FromMinutes(1));
        using (var refused = await app.SendAsync("/api/ping", cold.Key))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        var summary = Assert.Single(app.Logs.Entries, e => e.EventId == 2019);
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Null(summary.Exception);
        Assert.Contains("Failures=20", summary.Values);

        store.Down = false;
        using (var answered = await app.SendAsync("/api/ping", cold.Key))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }

        var recovered = Assert.Single(app.Logs.Entries, e => e.EventId == 2020);
        Assert.Contains("Failures=21", recovered.Values);
        Assert.Single(app.Logs.Entries, e => e.EventId == 2013);
        app.AssertNoSecretInLogs();
    }

    [Fact]
    public async Task Store_outage_logs_the_failed_usage_flushes_once_with_the_exception_then_a_summary_a_minute_then_a_recovery_line()
    {
        var store = new OutageStore(new InMemoryApiKeyStore());
        await using var app = await ApiKeyTestApp.StartAsync(options =>
        {
            options.StoreFactory = _ => store;
            options.RecordUsageEvents = true;
        });
        var key = await app.CreateKeyAsync();
        using (var warm = await app.SendAsync("/api/ping", key.Key))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        store.Down = true;
        for (var i = 0; i < 10; i++)
        {
            using var used = await app.SendAsync("/api/ping", key.Key);
            Assert.Equal(HttpStatusCode.OK, used.StatusCode);
            await app.Usage.FlushAsync();
        }

        // The first write that failed (usage counts, last uses or events: one outage) is the only one logged in full.
        var first = Assert.Single(app.Logs.Entries, e => e.EventId is 2010 or 2041);
        Assert.True(first.Level >= LogLevel.Warning);
        Assert.Contains("store is down", first.Exception, StringComparison.Ordinal);
        Assert.False(app.Logs.Any(2017));
        Assert.DoesNotContain(app.Logs.Entries, e => e.EventId == 2022 && e.Level > LogLevel.Debug);

        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.Usage.FlushAsync();
        var summary = Assert.Single(app.Logs.Entries, e => e.EventId == 2017);
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Null(summary.Exception);

        store.Down = false;
        await app.Usage.FlushAsync();
        Assert.Single(app.Logs.Entries, e => e.EventId == 2018);
        Assert.Single(app.Logs.Entries, e => e.EventId is 2010 or 2041);
        Assert.Equal(11, (await store.Inner.ListUsageEventsAsync(key.Info.Id, DateTimeOffset.MinValue)).Count);
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

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default)
        {
            ThrowIfDown();
            return inner.ListAsync(ownerId, tenant, cancellationToken);
        }

        public Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default)
        {
            ThrowIfDown();
            return inner.CreateAsync(record, cancellationToken);
        }

        public Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default)
        {
            ThrowIfDown();
            return inner.UpdateAsync(record, cancellationToken);
        }

        public Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default)
        {
            ThrowIfDown();
            return inner.RollAsync(successor, replaced, cancellationToken);
        }

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
