using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>
/// Guessing against a known key id (the guesses are throttled, the key is not), exposure events only for a real key in
/// the query string, and log lines a sender cannot forge.
/// </summary>
public sealed class ApiKeyGuessingAndExposureTests
{
    private const string Attacker = "203.0.113.66";
    private const string Owner = "198.51.100.10";

    [Fact]
    public async Task Lockout_by_a_known_key_id_the_owner_from_another_address_still_gets_200_while_the_guesser_gets_429()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxVerificationsPerKey = 3;
            o.MaxVerificationsPerAddress = 1000;
        });
        var created = await app.CreateKeyAsync();
        var hashes = app.Hasher.Invocations;

        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var guess = await app.SendAsync("/api/ping", app.Guess(created.Info.Id), address: Attacker);
            guesses.Add(guess.StatusCode);
        }

        using var owner = await app.SendAsync("/api/ping", created.Key, address: Owner);
        using var guessAfter = await app.SendAsync("/api/ping", app.Guess(created.Info.Id), address: Attacker);
        using var ownerAgain = await app.SendAsync("/api/ping", created.Key, address: Owner);

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 3), guesses.Take(3));
        Assert.All(guesses.Skip(3), status => Assert.Equal(HttpStatusCode.TooManyRequests, status));
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, guessAfter.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ownerAgain.StatusCode);

        // Three guesses and the owner's one verification: the throttled guesses cost no hash.
        Assert.Equal(4, app.Hasher.Invocations - hashes);
    }

    [Fact]
    public async Task Lockout_by_a_known_key_id_behind_the_guessing_address_a_cached_key_keeps_working_and_a_cold_one_waits()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxVerificationsPerKey = 3;
            o.MaxVerificationsPerAddress = 1000;
            o.CacheLifetime = TimeSpan.FromSeconds(60);
        });
        var created = await app.CreateKeyAsync();
        using (var first = await app.SendAsync("/api/ping", created.Key, address: Attacker))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        for (var i = 0; i < 10; i++)
        {
            (await app.SendAsync("/api/ping", app.Guess(created.Info.Id), address: Attacker)).Dispose();
        }

        // Verified before the guessing began: a cache hit consults no budget.
        using var cached = await app.SendAsync("/api/ping", created.Key, address: Attacker);
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);

        // Once the cache entry ends, the same address is throttled like every caller behind it; another address is not.
        app.Time.Advance(TimeSpan.FromSeconds(61));
        using var cold = await app.SendAsync("/api/ping", created.Key, address: Attacker);
        using var elsewhere = await app.SendAsync("/api/ping", created.Key, address: Owner);
        Assert.Equal(HttpStatusCode.TooManyRequests, cold.StatusCode);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }

    [Fact]
    public async Task Lockout_by_a_known_key_id_guesses_from_many_addresses_cost_at_most_the_budget_plus_one_hash_per_address()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxVerificationsPerKey = 3;
            o.MaxVerificationsPerAddress = 1000;
        });
        var created = await app.CreateKeyAsync();
        var hashes = app.Hasher.Invocations;

        for (var round = 0; round < 5; round++)
        {
            for (var address = 1; address <= 6; address++)
            {
                (await app.SendAsync("/api/ping", app.Guess(created.Info.Id), address: "203.0.113." + address)).Dispose();
            }
        }

        // The key's budget went to the first three addresses; each of the other three had its one reserved verification;
        // an address that guessed has none left. Never more than the budget plus one per address.
        Assert.Equal(6, app.Hasher.Invocations - hashes);
        using var owner = await app.SendAsync("/api/ping", created.Key, address: Owner);
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
    }

    [Fact]
    public async Task Lockout_by_a_known_key_id_the_throttled_answer_is_429_with_Retry_After_and_a_rate_limited_problem()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o =>
        {
            o.MaxVerificationsPerKey = 1;
            o.FailedAttemptWindow = TimeSpan.FromSeconds(90);
        });
        var created = await app.CreateKeyAsync();
        (await app.SendAsync("/api/ping", app.Guess(created.Info.Id), address: Attacker)).Dispose();

        using var throttled = await app.SendAsync("/api/ping", app.Guess(created.Info.Id), address: Attacker);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(90), throttled.Headers.RetryAfter?.Delta);
        Assert.False(throttled.Headers.Contains("WWW-Authenticate"));
        Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
        var body = await throttled.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rate_limited", body.GetProperty("error").GetString());
        Assert.Equal(429, body.GetProperty("status").GetInt32());
        Assert.Equal(ApiKeyOutcomes.RateLimited, app.LastOutcome());
        Assert.Contains(app.Logs.Entries, e => e.EventId == 2001 && e.Message.Contains(ApiKeyOutcomes.RateLimited, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exposure_only_for_a_real_key_a_query_value_that_merely_looks_like_a_key_raises_nothing()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var victim = await app.CreateKeyAsync();
        var caller = await app.CreateKeyAsync();
        var mistyped = victim.Key[..^1] + (victim.Key[^1] == 'a' ? 'b' : 'a');

        using var lookalike = await app.SendAsync($"/api/ping?utm=ak_test_{victim.Info.Id}_x", caller.Key);
        using var badChecksum = await app.SendAsync($"/api/ping?ref={mistyped}", caller.Key);
        using var namedGarbage = await app.SendAsync($"/api/ping?api_key=ak_live_{victim.Info.Id}_x", caller.Key);

        Assert.Equal(HttpStatusCode.OK, lookalike.StatusCode);
        Assert.Equal(HttpStatusCode.OK, badChecksum.StatusCode);

        // A parameter named like a key is still refused (keys belong in a header), but nothing says a key is exposed.
        Assert.Equal(HttpStatusCode.BadRequest, namedGarbage.StatusCode);
        Assert.DoesNotContain("rotate", (await namedGarbage.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(app.Exposures);
        Assert.False(app.Logs.Any(2002));
    }

    [Fact]
    public async Task Log_forging_a_newline_in_a_query_parameter_name_is_escaped_in_the_log_line()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();

        using var response = await app.SendAsync($"/ping?x%0D%0Ainfo:%20API%20key%20rotated%1B[2J={created.Key}", key: null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var entry = Assert.Single(app.Logs.Entries, e => e.EventId == 2002);
        Assert.DoesNotContain('\n', entry.Message);
        Assert.DoesNotContain('\r', entry.Message);
        Assert.DoesNotContain('\u001B', entry.Message);
        Assert.Contains(@"x\u000D\u000Ainfo: API key rotated\u001B[2J", entry.Message, StringComparison.Ordinal);
        Assert.Contains(created.Info.Id, entry.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain value", "plain value")]
    [InlineData("a\nb\rc", @"a\u000Ab\u000Dc")]
    [InlineData("nul\0esc\u001Bdel\u007F", @"nul\u0000esc\u001Bdel\u007F")]
    [InlineData("rtl\u202Eoverride\u2028line\u2029para\u200Bzw", @"rtl\u202Eoverride\u2028line\u2029para\u200Bzw")]
    [InlineData("back\\slash", @"back\\slash")]
    [InlineData("emoji \U0001F600 kept", "emoji \U0001F600 kept")]
    public void Log_forging_every_control_and_format_character_is_escaped(string value, string expected)
    {
        Assert.Equal(expected, LogText.Escape(value));
    }

    [Fact]
    public void Log_forging_a_lone_surrogate_is_escaped_and_a_pair_kept()
    {
        Assert.Equal(@"lone \uD83D high", LogText.Escape("lone \uD83D high"));
        Assert.Equal(@"lone \uDE00 low", LogText.Escape("lone \uDE00 low"));
        Assert.Equal(@"end \uD83D", LogText.Escape("end \uD83D"));
        Assert.Equal("pair \uD83D\uDE00", LogText.Escape("pair \uD83D\uDE00"));
    }

    [Fact]
    public void Log_forging_a_long_value_is_cut()
    {
        var escaped = LogText.Escape(new string('\n', 10_000));

        Assert.True(escaped.Length <= LogText.MaxLength + 8, $"{escaped.Length} characters");
        Assert.EndsWith("...", escaped, StringComparison.Ordinal);
    }
}
