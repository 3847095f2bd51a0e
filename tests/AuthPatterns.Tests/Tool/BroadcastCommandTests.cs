using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tool;

namespace AuthPatterns.Tests.Tool;

/// <summary>
/// What <c>keys revoke|roll</c> and <c>token revoke</c> say about reaching the other instances, without a Redis to reach
/// (port 1 on loopback refuses every connection). The broadcasts themselves are tested on the real Redis in
/// AuthPatterns.IntegrationTests.
/// </summary>
public sealed class BroadcastCommandTests : IDisposable
{
    private const string UnreachableRedis = "127.0.0.1:1,connectTimeout=300";
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"authpatterns-tool-{Guid.NewGuid():N}.db");

    public BroadcastCommandTests() => KeysCommand.ConfigureOptions = ApiKeyTestApp.Cheap;

    private string Connection => $"Data Source={_database};Pooling=False";

    public void Dispose() => File.Delete(_database);

    [Fact]
    public async Task Revoke_without_redis_says_other_instances_learn_of_it_within_their_cache_lifetime()
    {
        var id = await CreateAsync();

        var (code, _, error) = await ToolInvocation.RunAsync("keys", "revoke", id, "--connection", Connection, "--redis", "");

        Assert.Equal(0, code);
        Assert.Contains("Not broadcast", error, StringComparison.Ordinal);
        Assert.Contains("LayeredAuth:ApiKeys:CacheLifetime", error, StringComparison.Ordinal);
        Assert.Contains("--redis", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_with_redis_unreachable_stores_the_revocation_and_exits_3_saying_it_is_not_yet_broadcast()
    {
        var id = await CreateAsync();

        var (code, _, error) = await ToolInvocation.RunAsync("keys", "revoke", id, "--connection", Connection, "--redis", UnreachableRedis);

        Assert.Equal(3, code);
        Assert.Contains("stored but not yet broadcast", error, StringComparison.Ordinal);
        using var services = KeysCommand.BuildServices("sqlite", Connection);
        Assert.NotNull((await services.GetRequiredService<ApiKeyManager>().GetAsync(id))!.RevokedAt);
    }

    [Fact]
    public async Task Roll_with_redis_unreachable_prints_the_new_key_that_works_and_exits_3()
    {
        var id = await CreateAsync();

        var (code, output, error) = await ToolInvocation.RunAsync("keys", "roll", id, "--grace", "0m", "--connection", Connection, "--redis", UnreachableRedis, "--json");

        Assert.Equal(3, code);
        Assert.Contains("stored but not yet broadcast", error, StringComparison.Ordinal);
        var key = JsonDocument.Parse(output).RootElement.GetProperty("key").GetString()!;
        Assert.DoesNotContain(key, error, StringComparison.Ordinal);
        using var services = KeysCommand.BuildServices("sqlite", Connection);
        Assert.Equal(ApiKeyOutcomes.Valid, (await services.GetRequiredService<ApiKeyVerifier>().VerifyAsync(key, System.Net.IPAddress.Loopback, default)).Outcome);
    }

    [Fact]
    public async Task A_redis_configuration_that_does_not_parse_is_refused_without_repeating_it()
    {
        var id = await CreateAsync();

        var (code, _, error) = await ToolInvocation.RunAsync("keys", "revoke", id, "--connection", Connection, "--redis", "host:6379,password=hunter2,unknownOption==");

        Assert.Equal(2, code);
        Assert.Contains("--redis", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--jti", "", "--expires", "2030-01-01T00:00:00Z")]
    [InlineData("--jti", "two words", "--expires", "2030-01-01T00:00:00Z")]
    [InlineData("--jti", "id-1", "--expires", "tomorrow")]
    [InlineData("--jti", "id-1", "--expires", "-5")]
    public async Task Token_revoke_refuses_bad_input_with_exit_code_2(string jtiOption, string jti, string expiresOption, string expires)
    {
        var (code, _, error) = await ToolInvocation.RunAsync("token", "revoke", jtiOption, jti, expiresOption, expires, "--redis", UnreachableRedis);

        Assert.Equal(2, code);
        Assert.NotEmpty(error);
    }

    [Fact]
    public async Task Token_revoke_of_a_token_expiring_later_than_a_year_is_refused()
    {
        var far = DateTimeOffset.UtcNow.AddYears(2).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, _, error) = await ToolInvocation.RunAsync("token", "revoke", "--jti", "id-1", "--expires", far, "--redis", UnreachableRedis);

        Assert.Equal(2, code);
        Assert.Contains("366 days", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_revoke_of_an_expired_token_writes_nothing_and_says_why()
    {
        var (code, output, _) = await ToolInvocation.RunAsync("token", "revoke", "--jti", "id-1", "--expires", "2020-01-01T00:00:00Z", "--redis", UnreachableRedis);

        Assert.Equal(0, code);
        Assert.Contains("refuses it already", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_revoke_without_redis_says_no_instance_learns_of_it()
    {
        var (code, _, error) = await ToolInvocation.RunAsync("token", "revoke", "--jti", "id-1", "--expires", DateTimeOffset.UtcNow.AddMinutes(10).ToString("O"), "--redis", "");

        Assert.Equal(2, code);
        Assert.Contains("Not revoked", error, StringComparison.Ordinal);
        Assert.Contains("--redis", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_revoke_with_redis_unreachable_fails_saying_nothing_was_stored()
    {
        var (code, _, error) = await ToolInvocation.RunAsync("token", "revoke", "--jti", "id-1", "--expires", DateTimeOffset.UtcNow.AddMinutes(10).ToString("O"), "--redis", UnreachableRedis);

        Assert.Equal(1, code);
        Assert.Contains("neither stored nor broadcast", error, StringComparison.Ordinal);
    }

    private async Task<string> CreateAsync()
    {
        var (code, output, error) = await ToolInvocation.RunAsync("keys", "create", "--connection", Connection, "--owner", "partner-1", "--scope", "events:write", "--json");
        Assert.True(code == 0, error);
        return JsonDocument.Parse(output).RootElement.GetProperty("id").GetString()!;
    }
}
