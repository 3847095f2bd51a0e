using System.CommandLine;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tool;

namespace AuthPatterns.Tests.Tool;

/// <summary>
/// <c>authpatterns keys ... --project &lt;dir&gt;</c> and <c>--appsettings &lt;file&gt;</c>: the tool reads the application's
/// configuration as the app does and writes keys into the store the app reads. Each test has an application directory
/// of its own; the tool runs from the test's current directory, elsewhere, as a user's shell often does.
/// </summary>
public sealed class ToolApplicationConfigurationTests : IDisposable
{
    private readonly string _app = Path.Combine(Path.GetTempPath(), $"authpatterns-app-{Guid.NewGuid():N}");

    public ToolApplicationConfigurationTests()
    {
        KeysCommand.ConfigureOptions = ApiKeyTestApp.Cheap;
        Directory.CreateDirectory(_app);
    }

    public void Dispose() => Directory.Delete(_app, recursive: true);

    [Fact]
    public async Task Tool_keys_created_with_project_land_in_the_store_the_app_configures_with_its_relative_path_resolved_against_the_project()
    {
        WriteSettings("appsettings.json", """
            {
              "ConnectionStrings": { "Keys": "Data Source=keys.db;Pooling=False" },
              "LayeredAuth": { "ApiKeys": { "Prefix": "shop", "DefaultKeyLifetime": "30.00:00:00" } }
            }
            """);
        var store = Path.Combine(_app, "keys.db");
        await CreateStoreAsync(store);

        var (code, output, error) = await RunAsync("keys", "create", "--project", _app, "--owner", "partner-1", "--scope", "events:write", "--json");

        Assert.Equal(0, code);
        Assert.Equal($"Using the SQLite key store {store} (ConnectionStrings:Keys from {Path.Combine(_app, "appsettings.json")}, environment Development).", error.Trim());
        var created = JsonDocument.Parse(output).RootElement;
        var key = created.GetProperty("key").GetString()!;
        Assert.StartsWith("shop_live_", key, StringComparison.Ordinal);
        Assert.InRange(created.GetProperty("expiresAt").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromDays(29), TimeSpan.FromDays(30));
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "keys.db")));

        // The application, reading the same file with the same prefix, accepts the key.
        await using var services = KeysCommand.BuildServices("sqlite", $"Data Source={store};Pooling=False", "shop");
        var verifier = services.GetRequiredService<ApiKeyVerifier>();
        Assert.Equal(ApiKeyOutcomes.Valid, (await verifier.VerifyAsync(key, System.Net.IPAddress.Loopback, default)).Outcome);
    }

    [Fact]
    public async Task Tool_reads_the_environment_file_environment_variables_over_files_and_explicit_options_over_both()
    {
        var name = $"ToolTestKeys{Guid.NewGuid():N}";
        WriteSettings("appsettings.json", $$"""{ "ConnectionStrings": { "{{name}}": "Data Source=base.db;Pooling=False" }, "LayeredAuth": { "ApiKeys": { "ConnectionStringName": "{{name}}" } } }""");
        WriteSettings("appsettings.Staging.json", $$"""{ "ConnectionStrings": { "{{name}}": "Data Source=staging.db;Pooling=False" } }""");
        foreach (var file in new[] { "base.db", "staging.db", "env.db", "explicit.db" })
        {
            await CreateStoreAsync(Path.Combine(_app, file));
        }

        var (code, _, error) = await RunAsync("keys", "list", "--project", _app);
        Assert.Equal(0, code);
        Assert.StartsWith($"Using the SQLite key store {Path.Combine(_app, "base.db")} ", error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync("keys", "list", "--project", _app, "--environment", "Staging");
        Assert.Equal(0, code);
        Assert.Equal($"Using the SQLite key store {Path.Combine(_app, "staging.db")} (ConnectionStrings:{name} from {Path.Combine(_app, "appsettings.Staging.json")}, environment Staging).", error.Trim());

        // A name of this test's own, so no other test sees the variable.
        Environment.SetEnvironmentVariable($"ConnectionStrings__{name}", "Data Source=env.db;Pooling=False");
        try
        {
            (code, _, error) = await RunAsync("keys", "list", "--project", _app, "--environment", "Staging");
            Assert.Equal(0, code);
            Assert.Equal($"Using the SQLite key store {Path.Combine(_app, "env.db")} (ConnectionStrings:{name} from the environment variable ConnectionStrings__{name}, environment Staging).", error.Trim());

            var explicitStore = Path.Combine(_app, "explicit.db");
            (code, _, error) = await RunAsync("keys", "list", "--project", _app, "--connection", $"Data Source={explicitStore};Pooling=False");
            Assert.Equal(0, code);
            Assert.Equal($"Using the SQLite key store {explicitStore}.", error.Trim());
        }
        finally
        {
            Environment.SetEnvironmentVariable($"ConnectionStrings__{name}", null);
        }
    }

    [Fact]
    public async Task Tool_reads_one_appsettings_file_with_its_relative_path_resolved_against_the_file()
    {
        var settings = WriteSettings("production.json", """{ "LayeredAuth": { "ApiKeys": { "Provider": "sqlite", "ConnectionString": "Data Source=data/keys.db;Pooling=False", "Prefix": "acme" } } }""");
        var store = Path.Combine(_app, "data", "keys.db");
        Directory.CreateDirectory(Path.GetDirectoryName(store)!);
        await CreateStoreAsync(store);

        var (code, output, error) = await RunAsync("keys", "create", "--appsettings", settings, "--owner", "o", "--scope", "a", "--json");

        Assert.Equal(0, code);
        Assert.StartsWith("acme_live_", JsonDocument.Parse(output).RootElement.GetProperty("key").GetString(), StringComparison.Ordinal);
        Assert.Equal($"Using the SQLite key store {store} (LayeredAuth:ApiKeys:ConnectionString from {settings}).", error.Trim());
    }

    [Fact]
    public async Task Tool_missing_project_or_appsettings_file_is_a_one_line_error_with_exit_code_2()
    {
        var missing = Path.Combine(_app, "missing.json");
        var nowhere = Path.Combine(_app, "nowhere");
        foreach (var (args, expected) in new[]
        {
            (new[] { "--appsettings", missing }, $"--appsettings {missing}: the file does not exist."),
            (["--project", nowhere], $"--project {nowhere}: the directory does not exist."),
            (["--project", _app], $"--project {_app}: there is no appsettings.json in the directory."),
        })
        {
            var (code, output, error) = await RunAsync(["keys", "list", .. args]);
            Assert.Equal(2, code);
            Assert.Empty(output);
            Assert.StartsWith(expected, error, StringComparison.Ordinal);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [Fact]
    public async Task Tool_does_not_create_the_store_of_an_application_that_has_not_created_it()
    {
        WriteSettings("appsettings.json", """{ "ConnectionStrings": { "Keys": "Data Source=keys.db" } }""");

        var (code, output, error) = await RunAsync("keys", "create", "--project", _app, "--owner", "o", "--scope", "a");

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.StartsWith($"No key store at {Path.Combine(_app, "keys.db")} (ConnectionStrings:Keys from ", error, StringComparison.Ordinal);
        Assert.Contains("The application creates it", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_app, "keys.db")));
    }

    [Fact]
    public async Task Tool_refuses_to_guess_among_connection_strings_none_of_which_is_named_for_keys()
    {
        WriteSettings("appsettings.json", """{ "ConnectionStrings": { "Orders": "Data Source=orders.db", "Audit": "Data Source=audit.db" } }""");

        var (code, _, error) = await RunAsync("keys", "list", "--project", _app);

        Assert.Equal(2, code);
        Assert.Contains("ConnectionStrings has Audit, Orders but not Keys", error, StringComparison.Ordinal);
        Assert.Contains("LayeredAuth:ApiKeys:ConnectionStringName", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_app, "orders.db")));

        (code, _, error) = await RunAsync("keys", "list", "--project", _app, "--connection-name", "Ledger");
        Assert.Equal(2, code);
        Assert.StartsWith("ConnectionStrings:Ledger is not set", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_never_prints_the_password_of_the_apps_connection_string()
    {
        const string Password = "Tr0ub4dor-and-3-horses";
        WriteSettings("appsettings.json", $$"""{ "ConnectionStrings": { "Keys": "Host=127.0.0.1;Port=1;Database=keys;Username=app;Password={{Password}};Timeout=2" } }""");

        var (code, output, error) = await RunAsync("keys", "list", "--project", _app);

        // Port 1 refuses the connection: the tool names the store and where it came from, not the password.
        Assert.True(code == 2, error);
        Assert.Contains("Cannot open the PostgreSQL key store 'keys' on 127.0.0.1:1 (ConnectionStrings:Keys from ", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);

        // Nor when the connection string cannot be parsed at all.
        WriteSettings("appsettings.json", $$"""{ "LayeredAuth": { "ApiKeys": { "Provider": "postgres" } }, "ConnectionStrings": { "Keys": "Host=db;Password={{Password}};Bogus Keyword=1" } }""");
        (code, output, error) = await RunAsync("keys", "list", "--project", _app);
        Assert.Equal(2, code);
        Assert.StartsWith("The key store's connection string", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_names_itself_authpatterns_in_usage_and_help()
    {
        foreach (var args in new[] { new[] { "--help" }, ["keys", "create", "--help"] })
        {
            using var output = new StringWriter();
            var code = await AuthPatterns.Tool.Program.CreateRootCommand().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = new StringWriter() });
            Assert.Equal(0, code);
            Assert.Contains($"Usage:{Environment.NewLine}  authpatterns ", output.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("AuthPatterns.Tool", output.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Tool_without_an_application_says_it_uses_its_default_store()
    {
        var previous = Environment.CurrentDirectory;
        var (code, _, error) = await RunAsync("keys", "list");

        // The store is named by its full path whether it exists there (0) or not (2).
        Assert.True(code is 0 or 2);
        Assert.Contains(Path.Combine(previous, "authpatterns-keys.db"), error, StringComparison.Ordinal);
        Assert.DoesNotContain("(ConnectionStrings", error, StringComparison.Ordinal);
    }

    private string WriteSettings(string name, string json)
    {
        var path = Path.Combine(_app, name);
        File.WriteAllText(path, json);
        return path;
    }

    // What the application does on its first start (migrations or EnsureCreated): a store with the key tables.
    private static async Task CreateStoreAsync(string file)
    {
        await using var services = KeysCommand.BuildServices("sqlite", $"Data Source={file};Pooling=False");
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AuthPatterns.EntityFrameworkCore.ApiKeyDbContext>().Database.EnsureCreatedAsync();
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => ToolInvocation.RunAsync(args);
}
