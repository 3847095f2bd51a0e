using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tests.ApiKeys;

public sealed class ApiKeyExposureAndAuditTests
{
    [Theory]
    [InlineData("/api/ping?api_key={0}")]
    [InlineData("/api/ping?key={0}")]
    [InlineData("/ping?token={0}")]
    [InlineData("/webhooks/events?x=1&apikey={0}")]
    public async Task A_key_in_the_query_string_never_authenticates_and_gets_400(string pathFormat)
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();

        using var response = await app.SendAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, created.Key), key: null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("API keys belong in a header", body.GetProperty("title").GetString());
        Assert.Equal("api_key_in_query", body.GetProperty("error").GetString());
        Assert.DoesNotContain(created.Key, body.ToString(), StringComparison.Ordinal);
        var exposure = Assert.Single(app.Exposures);
        Assert.Equal(created.Info.Id, exposure.KeyId);
        Assert.Contains(app.Logs.Lines, line => line.Contains("[2002]", StringComparison.Ordinal) && line.Contains(created.Info.Id, StringComparison.Ordinal));
        Assert.DoesNotContain(ApiKeyOutcomes.Valid, app.Outcomes);
    }

    [Fact]
    public async Task A_key_in_the_query_string_is_refused_even_beside_a_valid_header()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();

        using var response = await app.SendAsync($"/api/ping?api_key={created.Key}", created.Key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(app.Outcomes);
    }

    [Fact]
    public async Task Ordinary_query_parameters_are_left_alone()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();

        using var response = await app.SendAsync("/api/ping?key=cache-entry-7&page=2", created.Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(app.Exposures);
    }

    [Fact]
    public async Task No_secret_of_any_key_used_appears_in_any_log_line()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.MaxVerificationsPerKey = 2);
        var created = await app.CreateKeyAsync();
        var revoked = await app.CreateKeyAsync();
        await app.Manager.RevokeAsync(revoked.Info.Id, "test");
        var rolled = await app.Manager.RollAsync(created.Info.Id, TimeSpan.FromMinutes(5));
        app.Use(rolled!.Key);

        foreach (var key in new[] { created.Key, rolled.Key, revoked.Key, app.Guess(created.Info.Id), app.Guess(created.Info.Id), app.Guess(created.Info.Id), app.Guess(ApiKeyFormat.NewKeyId()) })
        {
            (await app.SendAsync("/api/ping", key)).Dispose();
            (await app.SendAsync("/api/ping", key[..^1] + "!")).Dispose();
            (await app.SendAsync($"/ping?api_key={key}", key: null)).Dispose();
        }

        await app.Usage.FlushAsync();
        Assert.Contains(app.Logs.Lines, line => line.Contains("[2001]", StringComparison.Ordinal));
        Assert.Contains(app.Logs.Lines, line => line.Contains("[2000]", StringComparison.Ordinal));
        app.AssertNoSecretInLogs();
    }

    [Fact]
    public async Task The_store_holds_no_plaintext_and_the_manager_returns_no_hash()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        var secret = created.Key[(created.Key.LastIndexOf('_') + 1)..];

        var record = Assert.Single(app.Store.Records);
        var stored = JsonSerializer.Serialize(record);
        Assert.DoesNotContain(created.Key, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[..20], stored, StringComparison.Ordinal);
        Assert.StartsWith("$argon2id$v=19$", record.Hash, StringComparison.Ordinal);

        var listed = JsonSerializer.Serialize(await app.Manager.ListAsync());
        Assert.DoesNotContain("argon2id", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[..20], listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, created.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Last_use_is_written_in_one_batch_not_one_write_per_request()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        for (var i = 0; i < 5; i++)
        {
            app.Time.Advance(TimeSpan.FromSeconds(1));
            (await app.SendAsync("/api/ping", created.Key, address: "10.0.0." + i)).Dispose();
        }

        Assert.Null((await app.Manager.GetAsync(created.Info.Id))!.LastUsedAt);
        await app.Usage.FlushAsync();

        var info = await app.Manager.GetAsync(created.Info.Id);
        Assert.Equal(app.Time.GetUtcNow(), info!.LastUsedAt);
        Assert.Equal("10.0.0.4", info.LastUsedAddress);
    }

    [Fact]
    public async Task A_busy_key_does_not_push_another_keys_last_use_out_before_the_flush()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.UsageFlushInterval = TimeSpan.FromHours(1));
        var quiet = await app.CreateKeyAsync();
        var busy = await app.CreateKeyAsync();
        var quietUse = app.Time.GetUtcNow();
        app.Usage.Record(new ApiKeyUsageEvent { KeyId = quiet.Info.Id, OccurredAt = quietUse, Address = "10.1.1.1" });

        // More uses of one key than any bounded queue of requests would hold within a flush interval.
        for (var i = 0; i < 150_000; i++)
        {
            app.Usage.Record(new ApiKeyUsageEvent { KeyId = busy.Info.Id, OccurredAt = quietUse.AddTicks(i + 1), Address = "10.2.2.2" });
        }

        await app.Usage.FlushAsync();

        var quietInfo = await app.Manager.GetAsync(quiet.Info.Id);
        Assert.Equal((quietUse, "10.1.1.1"), (quietInfo!.LastUsedAt, quietInfo.LastUsedAddress));
        Assert.Equal(quietUse.AddTicks(150_000), (await app.Manager.GetAsync(busy.Info.Id))!.LastUsedAt);
    }

    [Fact]
    public async Task Usage_still_queued_is_written_when_the_application_stops()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.UsageFlushInterval = TimeSpan.FromHours(1));
        var created = await app.CreateKeyAsync();
        (await app.SendAsync("/api/ping", created.Key, address: "10.9.8.7")).Dispose();

        await app.App.StopAsync();

        var info = await app.Manager.GetAsync(created.Info.Id);
        Assert.Equal("10.9.8.7", info!.LastUsedAddress);
    }

    [Fact]
    public async Task Usage_events_say_which_key_accessed_what_and_when_and_are_pruned_after_the_retention()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.RecordUsageEvents = true;
            o.UsageEventRetention = TimeSpan.FromDays(7);
        });
        var created = await app.CreateKeyAsync(["profile:read"]);
        (await app.SendAsync("/webhooks/events", created.Key, HttpMethod.Post, address: "10.0.0.1")).Dispose();
        (await app.SendAsync("/api/ping", created.Key, address: "10.0.0.1")).Dispose();
        await app.Usage.FlushAsync();

        var events = await app.Store.ListUsageEventsAsync(created.Info.Id, DateTimeOffset.MinValue);
        Assert.Collection(
            events.OrderBy(e => e.Route),
            e => Assert.Equal(("GET", "/api/ping", 200, "10.0.0.1"), (e.Method, e.Route, e.StatusCode, e.Address)),
            e => Assert.Equal(("POST", "/webhooks/events", 403, "10.0.0.1"), (e.Method, e.Route, e.StatusCode, e.Address)));

        app.Time.Advance(TimeSpan.FromDays(8));
        (await app.SendAsync("/api/ping", created.Key)).Dispose();
        await app.Usage.FlushAsync();
        Assert.Single(await app.Store.ListUsageEventsAsync(created.Info.Id, DateTimeOffset.MinValue));
    }

    [Theory]
    [InlineData("Prefix", "AK", "LayeredAuth:ApiKeys:Prefix")]
    [InlineData("HeaderName", "", "LayeredAuth:ApiKeys:HeaderName")]
    [InlineData("CacheLifetime", "00:00:00", "LayeredAuth:ApiKeys:CacheLifetime")]
    [InlineData("HashIterations", "0", "LayeredAuth:ApiKeys:HashIterations")]
    [InlineData("HashIterations", "65", "LayeredAuth:ApiKeys:HashIterations must be between 1 and 64")]
    [InlineData("HashParallelism", "17", "LayeredAuth:ApiKeys:HashParallelism")]
    [InlineData("HashMemorySize", "2097152", "LayeredAuth:ApiKeys:HashMemorySize")]
    public async Task Invalid_configuration_fails_at_startup_naming_the_option(string name, string value, string expected)
    {
        var host = TestHost.Create()
            .WithConfiguration(new Dictionary<string, string?> { [$"LayeredAuth:ApiKeys:{name}"] = value })
            .WithLayeredAuth(layered => layered.AddApiKeys(), section: "LayeredAuth");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartAsync);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configuration_binds_from_LayeredAuth_ApiKeys_and_calling_AddApiKeys_twice_is_safe()
    {
        await using var app = await TestHost.Create()
            .WithConfiguration(new Dictionary<string, string?>
            {
                ["LayeredAuth:ApiKeys:HeaderName"] = "X-Partner-Key",
                ["LayeredAuth:ApiKeys:CacheLifetime"] = "00:00:30",
            })
            .WithLayeredAuth(layered => layered.AddApiKeys(ApiKeyTestApp.Cheap).AddApiKeys(), section: "LayeredAuth")
            .Map(app => app.MapGet("/api/ping", () => "pong").RequireAuthorization())
            .StartAsync();

        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ApiKeyAuthenticationOptions>>().Get(LayeredAuthSchemes.ApiKey);
        Assert.Equal("X-Partner-Key", options.HeaderName);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CacheLifetime);

        var created = await app.Services.GetRequiredService<ApiKeyManager>().CreateAsync(new ApiKeyCreateRequest { OwnerId = "p", Scopes = ["a:b"] });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ping");
        request.Headers.Add("X-Partner-Key", created.Key);
        using var response = await app.GetTestClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
