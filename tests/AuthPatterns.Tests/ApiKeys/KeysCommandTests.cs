using System.CommandLine;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tool;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary><c>authpatterns keys ...</c>, parsed and invoked in process against a temporary SQLite file.</summary>
public sealed class KeysCommandTests : IDisposable
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"authpatterns-tool-{Guid.NewGuid():N}.db");

    public KeysCommandTests() => KeysCommand.ConfigureOptions = ApiKeyTestApp.Cheap;

    private string Connection => $"Data Source={_database};Pooling=False";

    public void Dispose() => File.Delete(_database);

    [Fact]
    public async Task Create_list_show_roll_and_revoke_work_against_sqlite()
    {
        var (code, output, _) = await RunAsync(
            "keys", "create", "--provider", "sqlite", "--connection", Connection, "--owner", "partner-1", "--scope", "events:write",
            "--scope", "profile:read", "--expires-in", "90d", "--tenant", "acme", "--allow-network", "10.0.0.0/8", "--json");
        Assert.Equal(0, code);
        var created = JsonDocument.Parse(output).RootElement;
        var id = created.GetProperty("id").GetString()!;
        var key = created.GetProperty("key").GetString()!;
        Assert.True(ApiKeyFormat.IsWellFormed(key));
        Assert.Contains(id, key, StringComparison.Ordinal);
        Assert.Equal(["events:write", "profile:read"], created.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        var expiresAt = created.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromDays(89), TimeSpan.FromDays(90));

        (code, output, _) = await RunAsync("keys", "list", "--connection", Connection, "--json");
        Assert.Equal(0, code);
        Assert.Contains(id, output, StringComparison.Ordinal);
        Assert.DoesNotContain(key[(key.LastIndexOf('_') + 1)..], output, StringComparison.Ordinal);
        Assert.DoesNotContain("argon2id", output, StringComparison.Ordinal);

        (code, output, _) = await RunAsync("keys", "show", id, "--connection", Connection);
        Assert.Equal(0, code);
        Assert.Contains("acme", output, StringComparison.Ordinal);
        Assert.Contains("10.0.0.0/8", output, StringComparison.Ordinal);

        (code, output, _) = await RunAsync("keys", "roll", id, "--grace", "1h", "--connection", Connection, "--json");
        Assert.Equal(0, code);
        var rolled = JsonDocument.Parse(output).RootElement;
        Assert.Equal(id, rolled.GetProperty("rolledFromId").GetString());
        Assert.NotEqual(key, rolled.GetProperty("key").GetString());

        (code, output, _) = await RunAsync("keys", "revoke", id, "--reason", "leaked", "--connection", Connection, "--json");
        Assert.Equal(0, code);
        Assert.Equal("leaked", JsonDocument.Parse(output).RootElement.GetProperty("revocationReason").GetString());

        // The key works against the same store from an application.
        using var services = KeysCommand.BuildServices("sqlite", Connection);
        var verifier = services.GetRequiredService<ApiKeyVerifier>();
        Assert.Equal(ApiKeyOutcomes.Revoked, (await verifier.VerifyAsync(key, System.Net.IPAddress.Parse("10.1.1.1"), default)).Outcome);
        Assert.Equal(ApiKeyOutcomes.Valid, (await verifier.VerifyAsync(rolled.GetProperty("key").GetString()!, System.Net.IPAddress.Parse("10.1.1.1"), default)).Outcome);
    }

    [Fact]
    public async Task Keys_follow_the_prefix_the_application_is_configured_with()
    {
        var (code, output, _) = await RunAsync("keys", "create", "--connection", Connection, "--prefix", "acme", "--owner", "o", "--scope", "a", "--json");
        Assert.Equal(0, code);
        var key = JsonDocument.Parse(output).RootElement.GetProperty("key").GetString()!;
        Assert.StartsWith("acme_live_", key, StringComparison.Ordinal);

        using var services = KeysCommand.BuildServices("sqlite", Connection, "acme");
        var verifier = services.GetRequiredService<ApiKeyVerifier>();
        Assert.Equal(ApiKeyOutcomes.Valid, (await verifier.VerifyAsync(key, System.Net.IPAddress.Loopback, default)).Outcome);
    }

    [Fact]
    public async Task Errors_are_reported_with_a_non_zero_exit_code()
    {
        var (code, _, error) = await RunAsync("keys", "show", "AAAAAAAAAAAA", "--connection", Connection);
        Assert.Equal(1, code);
        Assert.Contains("No key", error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync("keys", "create", "--connection", Connection, "--owner", "o", "--scope", "a b");
        Assert.Equal(1, code);
        Assert.Contains("not a valid scope", error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync("keys", "list", "--provider", "mysql", "--connection", Connection);
        Assert.Equal(2, code);
        Assert.Contains("--provider", error, StringComparison.Ordinal);

        (code, _, _) = await RunAsync("keys", "create", "--connection", Connection, "--owner", "o");
        Assert.NotEqual(0, code);
    }

    [Fact]
    public async Task Finding_15_2_revoke_with_an_invalid_reason_and_roll_with_a_huge_grace_print_one_line_and_write_nothing()
    {
        var (code, output, _) = await RunAsync("keys", "create", "--connection", Connection, "--owner", "o", "--scope", "a", "--json");
        Assert.Equal(0, code);
        var id = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("id").GetString()!;

        foreach (var args in new[]
        {
            new[] { "keys", "revoke", id, "--reason", new string('r', 1025), "--connection", Connection },
            ["keys", "revoke", id, "--reason", "leaked\0", "--connection", Connection],
            ["keys", "roll", id, "--grace", "400d", "--connection", Connection],
            ["keys", "roll", id, "--grace", "613566757w", "--connection", Connection],
            ["keys", "create", "--owner", new string('o', 257), "--scope", "a", "--connection", Connection],
        })
        {
            string error;
            (code, _, error) = await RunAsync(args);
            Assert.Equal(1, code);
            Assert.Single(error.Trim().Split('\n'));
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }

        (code, output, _) = await RunAsync("keys", "list", "--connection", Connection, "--json");
        var key = Assert.Single(System.Text.Json.JsonDocument.Parse(output).RootElement.EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, key.GetProperty("revokedAt").ValueKind);
    }

    [Theory]
    [InlineData("613566757w")]
    [InlineData("9223372036854775807s")]
    public void Durations_too_long_to_represent_are_errors_not_wrapped_around(string value)
    {
        Assert.Throws<FormatException>(() => KeysCommand.ParseDuration(value));
    }

    [Theory]
    [InlineData("90d", 90 * 24)]
    [InlineData("12h", 12)]
    [InlineData("2w", 14 * 24)]
    public void Durations_read_like_people_write_them(string value, int hours)
    {
        Assert.Equal(TimeSpan.FromHours(hours), KeysCommand.ParseDuration(value));
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand { KeysCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
