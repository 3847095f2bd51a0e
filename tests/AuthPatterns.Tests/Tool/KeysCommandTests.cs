using System.CommandLine;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tool;
using Microsoft.EntityFrameworkCore;

namespace AuthPatterns.Tests.Tool;

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
        var (code, _, error) = await RunAsync("keys", "show", "AAAAAAAAAAAA", "--connection", Connection, "--create-store");
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

            // 1: refused by the manager; 2: a duration refused before the store is opened. Besides the line naming the
            // store that was opened, exactly one line says why.
            Assert.InRange(code, 1, 2);
            Assert.Single(error.Trim().Split('\n'), line => !line.StartsWith("Using ", StringComparison.Ordinal) && !line.StartsWith("Created ", StringComparison.Ordinal));
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }

        (code, output, _) = await RunAsync("keys", "list", "--connection", Connection, "--json");
        var key = Assert.Single(System.Text.Json.JsonDocument.Parse(output).RootElement.EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, key.GetProperty("revokedAt").ValueKind);
    }

    [Theory]
    [InlineData("90d", 90 * 24)]
    [InlineData("12h", 12)]
    [InlineData("2w", 14 * 24)]
    public void Durations_read_like_people_write_them(string value, int hours)
    {
        Assert.True(DurationText.TryParse(value, TimeSpan.FromDays(36500), allowZero: false, out var duration));
        Assert.Equal(TimeSpan.FromHours(hours), duration);
    }

    [Fact]
    public async Task Stored_control_characters_are_printed_escaped_never_raw()
    {
        var (code, output, _) = await RunAsync("keys", "create", "--connection", Connection, "--owner", "partner", "--scope", "events:write", "--json");
        Assert.Equal(0, code);
        var id = JsonDocument.Parse(output).RootElement.GetProperty("id").GetString()!;

        // Values as a hostile creator (or anyone with write access to the store) could leave them: an OSC 52 clipboard
        // write, a carriage return plus erase-line that forges an "active admin" row, a C1 CSI, DEL, and a bidi override.
        const string Osc52 = "partner\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007";
        const string ForgedRow = "acme\r\u001b[2KAAAAAAAAAAAA  admin  acme  active";
        await using (var services = KeysCommand.BuildServices("sqlite", Connection))
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AuthPatterns.EntityFrameworkCore.ApiKeyDbContext>();
            var record = await db.Set<ApiKeyRecord>().SingleAsync(r => r.Id == id);
            record.OwnerId = Osc52;
            record.Tenant = ForgedRow;
            record.Name = "name\u009b31m\u007f";
            record.Scopes = ["events:write\u202eetirw"];
            record.RevokedAt = DateTimeOffset.UtcNow;
            record.RevocationReason = "leaked\u001b[8m hidden";
            await db.SaveChangesAsync();
        }

        var (listCode, list, _) = await RunAsync("keys", "list", "--connection", Connection);
        var (showCode, show, _) = await RunAsync("keys", "show", id, "--connection", Connection);

        Assert.Equal(0, listCode);
        Assert.Equal(0, showCode);
        foreach (var text in new[] { list, show })
        {
            Assert.DoesNotContain(text, c => c is '\u001b' or '\u0007' or '\r' or '\u009b' or '\u007f' or '\u202e');
            Assert.Contains(@"partner\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007", text, StringComparison.Ordinal);
            Assert.Contains(@"acme\u000d\u001b[2KAAAAAAAAAAAA", text, StringComparison.Ordinal);
            Assert.Contains(@"events:write\u202eetirw", text, StringComparison.Ordinal);
        }

        Assert.Contains(@"name\u009b31m\u007f", show, StringComparison.Ordinal);
        Assert.Contains(@"(leaked\u001b[8m hidden)", show, StringComparison.Ordinal);
        Assert.Equal(2, list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("--expires-in", "613566757w")]
    [InlineData("--expires-in", "9223372036854775807s")]
    [InlineData("--expires-in", "99999999999999999999d")]
    [InlineData("--expires-in", "-1.00:00:00")]
    [InlineData("--expires-in", "0d")]
    public async Task Durations_that_overflow_are_refused_not_wrapped_around(string option, string value)
    {
        var (code, output, error) = await RunAsync("keys", "create", "--connection", Connection, "--owner", "o", "--scope", "a", option, value);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.StartsWith($"{option} '{value}' is not a valid duration", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(_database));
        Assert.False(DurationText.TryParse(value, TimeSpan.FromDays(36500), allowZero: false, out _));
    }

    [Fact]
    public async Task A_roll_grace_that_overflows_is_refused_before_the_store_is_touched()
    {
        var (code, _, error) = await RunAsync("keys", "roll", "AAAAAAAAAAAA", "--connection", Connection, "--grace", "613566757w");

        Assert.Equal(2, code);
        Assert.StartsWith("--grace '613566757w' is not a valid duration", error, StringComparison.Ordinal);
        Assert.False(File.Exists(_database));
    }

    [Fact]
    public async Task A_store_of_the_earlier_shape_is_refused_with_the_way_to_upgrade_it_and_left_as_it_was()
    {
        await EarlierKeyStoreShape.CreateSqliteAsync(Connection);

        foreach (var args in new[] { new[] { "list" }, ["show", EarlierKeyStoreShape.KeyId], ["revoke", EarlierKeyStoreShape.KeyId], ["create", "--owner", "o", "--scope", "a"], ["list", "--create-store"] })
        {
            var (code, output, error) = await RunAsync(["keys", .. args, "--connection", Connection]);
            Assert.Equal(2, code);
            Assert.Empty(output);
            Assert.Contains("holds API keys in the shape of an earlier AuthPatterns version", error, StringComparison.Ordinal);
            Assert.Contains("dotnet ef database update", error, StringComparison.Ordinal);
            Assert.Contains("docs/api-keys.md", error, StringComparison.Ordinal);
        }

        Assert.Equal("demo-partner", await EarlierKeyStoreShape.OwnerAsync(Connection));
    }

    [Fact]
    public async Task A_wrong_sqlite_path_is_an_error_naming_the_absolute_file_not_a_new_empty_store()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _database);
        var connection = $"Data Source={relative};Pooling=False";

        foreach (var args in new[] { new[] { "list" }, ["show", "AAAAAAAAAAAA"], ["revoke", "AAAAAAAAAAAA"], ["roll", "AAAAAAAAAAAA"] })
        {
            var (code, output, error) = await RunAsync(["keys", .. args, "--connection", connection]);
            Assert.Equal(2, code);
            Assert.Empty(output);
            Assert.Contains($"No key store at {_database}: the file does not exist", error, StringComparison.Ordinal);
            Assert.Contains("--create-store", error, StringComparison.Ordinal);
            Assert.False(File.Exists(_database));
        }

        // An existing file without the schema is not taken for a store either.
        await File.WriteAllBytesAsync(_database, []);
        var (emptyCode, _, emptyError) = await RunAsync("keys", "list", "--connection", connection);
        Assert.Equal(2, emptyCode);
        Assert.Contains($"Cannot open the SQLite key store {_database}", emptyError, StringComparison.Ordinal);
        File.Delete(_database);

        var (listCode, _, listError) = await RunAsync("keys", "list", "--connection", connection, "--create-store");
        Assert.Equal(0, listCode);
        Assert.Equal($"Created the SQLite key store {_database}.", listError.Trim());

        var (createCode, _, createError) = await RunAsync("keys", "create", "--connection", connection, "--owner", "o", "--scope", "a", "--json");
        Assert.Equal(0, createCode);
        Assert.Equal($"Using the SQLite key store {_database}.", createError.Trim());
    }

    [Fact]
    public void Escaping_leaves_printable_text_alone_and_escapes_every_control_class()
    {
        Assert.Equal("Zoë 日本 🔑 a\\b", TerminalText.Escape("Zoë 日本 🔑 a\\b"));
        Assert.Equal(@"\u0000\u0009\u000a\u001b\u007f\u0080\u009f\u061c\u200e\u2028\u202a\u2066\u2069\ud800", TerminalText.Escape("\0\t\n\u001b\u007f\u0080\u009f\u061c\u200e\u2028\u202a\u2066\u2069\ud800"));
    }

    [Fact]
    public void Escaping_shows_zero_width_and_other_format_characters_that_could_hide_text()
    {
        Assert.Equal(@"act\u200bive \ufeffacme\u00ad \udc00", TerminalText.Escape("act\u200bive \ufeffacme\u00ad \udc00"));
        Assert.Equal("\U0001F511 key", TerminalText.Escape("\U0001F511 key"));
    }

    [Fact]
    public void Terminal_escaping_classifies_every_code_unit_as_the_log_lines_do()
    {
        for (var c = 0; c <= char.MaxValue; c++)
        {
            foreach (var text in new[] { ((char)c).ToString(), $"a{(char)c}", $"{(char)c}\udc00", $"\ud800{(char)c}" })
            {
                for (var i = 0; i < text.Length; i++)
                {
                    if (AuthPatterns.Infrastructure.LogText.IsUnsafeAt(text, i) != TerminalText.IsUnsafeAt(text, i))
                    {
                        Assert.Fail($"U+{c:X4} at {i} of a {text.Length}-character value is classified differently.");
                    }
                }
            }
        }
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => ToolInvocation.RunAsync(args);
}
