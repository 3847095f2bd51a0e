using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AuthPatterns.Tests.ApiKeys;

public sealed class ApiKeyAuthenticationTests
{
    [Fact]
    public async Task A_valid_key_in_X_API_Key_authenticates_with_owner_key_id_tenant_and_one_claim_per_scope()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync(["events:write", "profile:read"]);

        using var response = await app.SendAsync("/me", created.Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("partner-1", body.GetProperty("sub").GetString());
        Assert.Equal(created.Info.Id, body.GetProperty("keyId").GetString());
        Assert.Equal("acme", body.GetProperty("tenant").GetString());
        Assert.Equal(LayeredAuthSchemes.ApiKey, body.GetProperty("scheme").GetString());
        Assert.Equal(["events:write", "profile:read"], body.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([ApiKeyOutcomes.Valid], app.Outcomes);
    }

    [Fact]
    public async Task A_valid_key_in_Authorization_ApiKey_authenticates()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();

        using var response = await app.SendAsync("/api/ping", created.Key, authorizationHeader: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task No_key_gets_401_with_the_ApiKey_challenge()
    {
        await using var app = await ApiKeyTestApp.StartAsync();

        using var response = await app.SendAsync("/webhooks/events", key: null, HttpMethod.Post);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("ApiKey header=\"X-API-Key\"", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
    }

    [Fact]
    public async Task The_webhook_accepts_a_key_with_its_scope_and_forbids_one_without()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var writer = await app.CreateKeyAsync(["events:write"]);
        var reader = await app.CreateKeyAsync(["profile:read"]);

        using var accepted = await app.SendAsync("/webhooks/events", writer.Key, HttpMethod.Post);
        using var forbidden = await app.SendAsync("/webhooks/events", reader.Key, HttpMethod.Post);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Fact]
    public async Task A_valid_key_to_a_Bearer_only_endpoint_gets_401()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();

        using var response = await app.SendAsync("/internal/reports", created.Key);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("oversized")]
    [InlineData("non_ascii")]
    [InlineData("bad_checksum")]
    [InlineData("wrong_prefix")]
    [InlineData("two_values")]
    public async Task Malformed_keys_are_refused_with_no_store_lookup_and_no_hash(string kind)
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        var key = created.Key;
        var lookups = app.Store.LookupCount;
        var hashes = app.Hasher.Invocations;

        var request = new HttpRequestMessage(HttpMethod.Get, "/api/ping");
        switch (kind)
        {
            case "oversized":
                request.Headers.TryAddWithoutValidation("X-API-Key", key + new string('A', 64 * 1024));
                break;
            case "non_ascii":
                // Sent as raw UTF-8 bytes in the header value.
                request.Headers.TryAddWithoutValidation("X-API-Key", string.Concat(key.AsSpan(0, 30), "é", key.AsSpan(31)));
                break;
            case "bad_checksum":
                request.Headers.TryAddWithoutValidation("X-API-Key", key[..^1] + (key[^1] == 'A' ? 'B' : 'A'));
                break;
            case "wrong_prefix":
                request.Headers.TryAddWithoutValidation("X-API-Key", "sk" + key[2..]);
                break;
            case "two_values":
                request.Headers.TryAddWithoutValidation("X-API-Key", [key, key]);
                break;
        }

        using var response = await app.Client.SendAsync(request);

        if (kind == "two_values")
        {
            // Two keys are two credentials: selection refuses them (400) before the API-key handler reads either.
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(ApiKeyOutcomes.Malformed, app.LastOutcome());
        }

        Assert.Equal(lookups, app.Store.LookupCount);
        Assert.Equal(hashes, app.Hasher.Invocations);
    }

    [Fact]
    public async Task An_unknown_id_costs_a_lookup_but_no_hash_and_is_negative_cached()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var unknown = app.Guess(ApiKeyFormat.NewKeyId());

        using var first = await app.SendAsync("/api/ping", unknown);
        using var second = await app.SendAsync("/api/ping", unknown);

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Equal([ApiKeyOutcomes.NotFound, ApiKeyOutcomes.NotFound], app.Outcomes);
        Assert.Equal(1, app.Store.LookupCount);
        Assert.Equal(0, app.Hasher.Invocations);
    }

    [Fact]
    public async Task A_flood_of_unknown_ids_does_not_wipe_the_memory_of_an_unknown_id_in_use()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.CacheSizeLimit = 50);
        var unknown = app.Guess(ApiKeyFormat.NewKeyId());
        using (var first = await app.SendAsync("/api/ping", unknown))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        }

        for (var i = 0; i < 120; i++)
        {
            using var flood = await app.SendAsync("/api/ping", app.Guess(ApiKeyFormat.NewKeyId()));
            using var again = await app.SendAsync("/api/ping", unknown);
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }

        // One lookup for the id in use and one per flooding id: the id in use was answered from memory every time.
        Assert.Equal(121, app.Store.LookupCount);
        Assert.True(app.Verifier.Ids.Count <= 50);
        Assert.Equal(0, app.Hasher.Invocations);
    }

    [Fact]
    public async Task The_right_id_with_a_wrong_secret_is_refused_and_counted()
    {
        var counted = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "AuthPatterns" && instrument.Name == "authpatterns.authentication.outcomes")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var scheme = tags.ToArray().FirstOrDefault(t => t.Key == "scheme").Value as string;
            var outcome = tags.ToArray().FirstOrDefault(t => t.Key == "outcome").Value as string;
            if (scheme == LayeredAuthSchemes.ApiKey && outcome == ApiKeyOutcomes.InvalidSecret)
            {
                Interlocked.Add(ref counted, value);
            }
        });
        listener.Start();

        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        var hashes = app.Hasher.Invocations;

        using var response = await app.SendAsync("/api/ping", app.Guess(created.Info.Id));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ApiKeyOutcomes.InvalidSecret, app.LastOutcome());
        Assert.Equal(hashes + 1, app.Hasher.Invocations);
        Assert.True(Interlocked.Read(ref counted) >= 1);
    }

    [Fact]
    public async Task A_flood_of_guesses_against_one_id_burns_at_most_the_budget_of_hashes()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxVerificationsPerKey = 3;
            o.MaxVerificationsPerAddress = 1000;

            // Every guess waits for a hash slot rather than being shed (503): on two cores the default queue holds four.
            o.MaxQueuedVerifications = 64;
        });
        var created = await app.CreateKeyAsync();
        var hashes = app.Hasher.Invocations;

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => app.SendAsync("/api/ping", app.Guess(created.Info.Id))));

        // The key's budget, plus at most the one verification the address has in reserve when the budget is spent.
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.True(app.Hasher.Invocations - hashes <= 4, $"{app.Hasher.Invocations - hashes} hashes were computed");
        Assert.Contains(ApiKeyOutcomes.RateLimited, app.Outcomes);
        Assert.InRange(app.Outcomes.Count(o => o == ApiKeyOutcomes.InvalidSecret), 3, 4);
        Assert.Equal(app.Outcomes.Count(o => o == ApiKeyOutcomes.RateLimited), responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Guesses_from_one_address_across_ids_are_throttled_too()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxVerificationsPerKey = 100;
            o.MaxVerificationsPerAddress = 2;
        });
        var keys = new[] { await app.CreateKeyAsync(), await app.CreateKeyAsync(), await app.CreateKeyAsync() };
        var hashes = app.Hasher.Invocations;

        foreach (var key in keys)
        {
            (await app.SendAsync("/api/ping", app.Guess(key.Info.Id), address: "203.0.113.7")).Dispose();
        }

        Assert.Equal(2, app.Hasher.Invocations - hashes);
        Assert.Equal(ApiKeyOutcomes.RateLimited, app.LastOutcome());

        // Another address still has its budget.
        using var other = await app.SendAsync("/api/ping", keys[2].Key, address: "198.51.100.1");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_cached_key_costs_no_more_hashes_and_concurrent_first_uses_share_one()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        var hashes = app.Hasher.Invocations;

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => app.SendAsync("/api/ping", created.Key)));
        for (var i = 0; i < 5; i++)
        {
            (await app.SendAsync("/api/ping", created.Key)).Dispose();
        }

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(hashes + 1, app.Hasher.Invocations);
    }

    [Fact]
    public async Task The_cache_lifetime_ends_and_the_key_is_verified_again()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.CacheLifetime = TimeSpan.FromSeconds(60));
        var created = await app.CreateKeyAsync();
        (await app.SendAsync("/api/ping", created.Key)).Dispose();
        var hashes = app.Hasher.Invocations;

        app.Time.Advance(TimeSpan.FromSeconds(59));
        (await app.SendAsync("/api/ping", created.Key)).Dispose();
        Assert.Equal(hashes, app.Hasher.Invocations);

        app.Time.Advance(TimeSpan.FromSeconds(2));
        using var response = await app.SendAsync("/api/ping", created.Key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(hashes + 1, app.Hasher.Invocations);
    }

    [Fact]
    public async Task An_expired_key_is_refused_even_from_the_cache()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.CacheLifetime = TimeSpan.FromHours(1));
        var created = await app.CreateKeyAsync(lifetime: TimeSpan.FromMinutes(10));
        using var before = await app.SendAsync("/api/ping", created.Key);

        app.Time.Advance(TimeSpan.FromMinutes(10));
        using var after = await app.SendAsync("/api/ping", created.Key);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(ApiKeyOutcomes.Expired, app.LastOutcome());
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_the_very_next_request()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        using var before = await app.SendAsync("/api/ping", created.Key);
        var hashes = app.Hasher.Invocations;

        Assert.True(await app.Manager.RevokeAsync(created.Info.Id, "leaked in a build log"));
        using var after = await app.SendAsync("/api/ping", created.Key);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(ApiKeyOutcomes.Revoked, app.LastOutcome());
        Assert.Equal(hashes, app.Hasher.Invocations);
        var info = await app.Manager.GetAsync(created.Info.Id);
        Assert.Equal("leaked in a build log", info!.RevocationReason);
    }

    [Fact]
    public async Task A_rolled_key_and_its_predecessor_both_work_during_the_grace_period_and_only_the_new_one_after()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var old = await app.CreateKeyAsync(["events:write"], lifetime: TimeSpan.FromDays(90));
        (await app.SendAsync("/api/ping", old.Key)).Dispose();

        var rolled = await app.Manager.RollAsync(old.Info.Id, TimeSpan.FromHours(24));
        Assert.NotNull(rolled);
        app.Use(rolled.Key);
        Assert.Equal(old.Info.Id, rolled.Info.RolledFromId);
        Assert.Equal(old.Info.Scopes, rolled.Info.Scopes);
        Assert.Equal(old.Info.Tenant, rolled.Info.Tenant);

        app.Time.Advance(TimeSpan.FromHours(23));
        using (var oldDuring = await app.SendAsync("/api/ping", old.Key))
        using (var newDuring = await app.SendAsync("/api/ping", rolled.Key))
        {
            Assert.Equal(HttpStatusCode.OK, oldDuring.StatusCode);
            Assert.Equal(HttpStatusCode.OK, newDuring.StatusCode);
        }

        app.Time.Advance(TimeSpan.FromHours(2));
        using var oldAfter = await app.SendAsync("/api/ping", old.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, oldAfter.StatusCode);
        Assert.Equal(ApiKeyOutcomes.Expired, app.LastOutcome());
        using var newAfter = await app.SendAsync("/api/ping", rolled.Key);
        Assert.Equal(HttpStatusCode.OK, newAfter.StatusCode);
    }

    [Fact]
    public async Task The_grace_period_never_outlives_the_old_keys_own_expiry()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var old = await app.CreateKeyAsync(lifetime: TimeSpan.FromHours(1));

        var rolled = await app.Manager.RollAsync(old.Info.Id, TimeSpan.FromDays(7));
        app.Use(rolled!.Key);

        var info = await app.Manager.GetAsync(old.Info.Id);
        Assert.Equal(old.Info.ExpiresAt, info!.ExpiresAt);
        app.Time.Advance(TimeSpan.FromHours(1));
        using var response = await app.SendAsync("/api/ping", old.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Allowed_networks_are_checked_on_every_request_cached_or_not()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync(networks: ["10.0.0.0/8", "2001:db8::/32"]);

        using var inside = await app.SendAsync("/api/ping", created.Key, address: "10.1.2.3");
        using var mapped = await app.SendAsync("/api/ping", created.Key, address: "::ffff:10.9.9.9");
        using var v6 = await app.SendAsync("/api/ping", created.Key, address: "2001:db8::1");
        using var outside = await app.SendAsync("/api/ping", created.Key, address: "192.168.1.1");
        using var unknown = await app.SendAsync("/api/ping", created.Key);

        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
        Assert.Equal(HttpStatusCode.OK, mapped.StatusCode);
        Assert.Equal(HttpStatusCode.OK, v6.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, outside.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(ApiKeyOutcomes.NetworkNotAllowed, app.LastOutcome());
    }

    [Fact]
    public async Task Changing_scopes_takes_effect_at_once()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync(["events:write"]);
        using var before = await app.SendAsync("/webhooks/events", created.Key, HttpMethod.Post);

        await app.Manager.SetScopesAsync(created.Info.Id, ["profile:read"]);
        using var after = await app.SendAsync("/webhooks/events", created.Key, HttpMethod.Post);

        Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
    }

    [Fact]
    public async Task Verifications_beyond_the_concurrency_limit_are_shed_with_503_and_Retry_After()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxConcurrentVerifications = 1;
            o.MaxQueuedVerifications = 0;
            o.OverloadRetryAfter = TimeSpan.FromSeconds(2);
        });
        var created = await app.CreateKeyAsync();

        using (var held = app.Verifier.HashSlots.AttemptAcquire(1))
        {
            Assert.True(held.IsAcquired);
            using var shed = await app.SendAsync("/webhooks/events", created.Key, HttpMethod.Post);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, shed.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), shed.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", shed.Content.Headers.ContentType?.MediaType);
            Assert.Equal(ApiKeyOutcomes.Overloaded, app.LastOutcome());
        }

        using var later = await app.SendAsync("/webhooks/events", created.Key, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);
    }

    [Fact]
    public async Task The_cache_gauge_counts_verified_keys_and_drops_a_revoked_one()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        using var entries = new MetricCollector<long>(
            app.App.Services.GetRequiredService<IMeterFactory>(), LayeredAuthTelemetry.MeterName, "authpatterns.api_keys.cache_entries");
        var first = await app.CreateKeyAsync();
        var second = await app.CreateKeyAsync();

        foreach (var key in new[] { first.Key, second.Key, first.Key })
        {
            using var response = await app.SendAsync("/webhooks/events", key, HttpMethod.Post);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        entries.RecordObservableInstruments();
        Assert.Equal(2, entries.LastMeasurement!.Value);
        Assert.Equal(LayeredAuthSchemes.ApiKey, entries.LastMeasurement.Tags["scheme"]);

        Assert.True(await app.Manager.RevokeAsync(first.Info.Id, "rotated"));
        entries.RecordObservableInstruments();
        Assert.Equal(1, entries.LastMeasurement!.Value);
    }

    [Fact]
    public async Task A_burst_shed_while_every_hash_slot_is_taken_costs_no_store_lookup_and_one_warning_a_second()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxConcurrentVerifications = 1;
            o.MaxQueuedVerifications = 0;
        });
        var keys = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            keys.Add((await app.CreateKeyAsync()).Key);
        }

        var lookups = app.Store.LookupCount;
        using (var held = app.Verifier.HashSlots.AttemptAcquire(1))
        {
            Assert.True(held.IsAcquired);
            foreach (var key in keys)
            {
                using var shed = await app.SendAsync("/webhooks/events", key, HttpMethod.Post);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, shed.StatusCode);
                Assert.NotNull(shed.Headers.RetryAfter?.Delta);
            }

            // The retries of a burst ask the store nothing while no slot could verify them, and the log says so once.
            Assert.Equal(lookups, app.Store.LookupCount);
            Assert.Single(app.Logs.Entries, e => e.EventId == 2003);

            app.Time.Advance(TimeSpan.FromSeconds(1));
            using (await app.SendAsync("/webhooks/events", keys[0], HttpMethod.Post))
            {
            }

            Assert.Equal(2, app.Logs.Entries.Count(e => e.EventId == 2003));
        }

        // Once a slot is free, every key is looked up and served.
        foreach (var key in keys)
        {
            using var served = await app.SendAsync("/webhooks/events", key, HttpMethod.Post);
            Assert.Equal(HttpStatusCode.Accepted, served.StatusCode);
        }

        Assert.Equal(lookups + keys.Count, app.Store.LookupCount);
    }

    [Fact]
    public void Argon2id_takes_at_most_half_the_processors_by_default_so_warm_requests_keep_the_rest()
    {
        var options = new ApiKeyAuthenticationOptions();

        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), options.MaxConcurrentVerifications);
        Assert.InRange(options.MaxConcurrentVerifications, 1, Math.Max(1, Environment.ProcessorCount - 1));
    }

    [Fact]
    public async Task A_first_use_shed_again_and_again_spends_none_of_the_keys_or_the_addresss_budget()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxConcurrentVerifications = 1;
            o.MaxQueuedVerifications = 0;
            o.MaxVerificationsPerKey = 1;
            o.MaxVerificationsPerAddress = 1;
        });
        var created = await app.CreateKeyAsync();

        using (var held = app.Verifier.HashSlots.AttemptAcquire(1))
        {
            Assert.True(held.IsAcquired);
            for (var i = 0; i < 5; i++)
            {
                using var shed = await app.SendAsync("/webhooks/events", created.Key, HttpMethod.Post);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, shed.StatusCode);
                Assert.NotNull(shed.Headers.RetryAfter?.Delta);
            }
        }

        // Budgets of one: had any shed attempt spent a permit, the key would now be throttled with 429.
        using var served = await app.SendAsync("/webhooks/events", created.Key, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.Accepted, served.StatusCode);
        Assert.Equal(ApiKeyOutcomes.Valid, app.LastOutcome());
    }

    [Fact]
    public async Task Test_keys_are_refused_when_only_live_keys_are_accepted()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.AcceptTestKeys = false);
        var created = await app.Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "ci", Scopes = ["events:write"], IsTest = true });
        app.Use(created.Key);

        using var response = await app.SendAsync("/api/ping", created.Key);

        Assert.StartsWith("ak_test_", created.Key, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ApiKeyOutcomes.Malformed, app.LastOutcome());
    }

    [Fact]
    public async Task A_hash_made_with_older_parameters_is_upgraded_after_its_next_successful_use()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.HashMemorySize = 128);
        var id = ApiKeyFormat.NewKeyId();
        var key = app.Use(ApiKeyFormat.Create("ak", false, id));
        await app.Store.CreateAsync(new ApiKeyRecord
        {
            Id = id,
            OwnerId = "legacy",
            Scopes = ["events:write"],
            CreatedAt = app.Time.GetUtcNow(),
            Hash = await app.Hasher.HashAsync(key, new Argon2Parameters(64, 1, 1)),
        });

        using var response = await app.SendAsync("/api/ping", key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await app.Store.FindByIdAsync(id);
        Assert.StartsWith("$argon2id$v=19$m=128,t=1,p=1$", stored!.Hash, StringComparison.Ordinal);
        Assert.Equal((true, false), await app.Hasher.VerifyAsync(key, stored.Hash, new Argon2Parameters(128, 1, 1)));
    }
}
