using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AuthPatterns.IntegrationTests.Template;

/// <summary>
/// What a new user does, end to end: pack the packages and the template into a local feed, <c>dotnet new install</c>,
/// <c>dotnet new layeredapi</c>, build, start, then call the API with a key made by the installed <c>authpatterns</c>
/// tool and a token from <c>authpatterns token mint</c>. Everything lives in one temporary directory (its own template
/// hive, NuGet feed, tool path and development key ring), so the user's templates, tools and keys are never touched.
/// </summary>
public sealed class TemplateTests(TemplateTests.GeneratedApp app) : IClassFixture<TemplateTests.GeneratedApp>
{
    [Fact]
    public async Task Template_app_answers_200_with_a_key_made_by_the_installed_tool()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Add("X-API-Key", app.ApiKey);
        using var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"scheme\":\"ApiKey\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_app_answers_401_without_a_credential()
    {
        using var response = await app.Client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task Template_app_answers_401_with_a_wrong_key()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        var wrong = app.ApiKey[..^8] + new string(app.ApiKey[^8..].Reverse().ToArray());
        request.Headers.Add("X-API-Key", wrong == app.ApiKey ? app.ApiKey + "x" : wrong);
        using var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Template_app_answers_200_with_a_token_from_authpatterns_token_mint()
    {
        var token = await app.RunToolAsync("token", "mint", "--audience", app.Name, "--scope", "profile:read");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        using var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"scheme\":\"Bearer\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_app_refuses_a_minted_token_on_a_key_only_endpoint()
    {
        var token = await app.RunToolAsync("token", "mint", "--audience", app.Name, "--scope", "events:write");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        using var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void Template_app_includes_its_first_migration_and_a_readme()
    {
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(app.ProjectDirectory, "Migrations", "Sqlite"), "*_InitialKeyStore.cs"));
        Assert.False(Directory.Exists(Path.Combine(app.ProjectDirectory, "Migrations", "Postgres")));
        Assert.Contains("curl", File.ReadAllText(Path.Combine(app.ProjectDirectory, "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_with_database_postgres_compiles_with_its_PostgreSQL_migration()
    {
        var directory = await app.GenerateAndBuildAsync("ShopApi", "--database", "postgres");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(directory, "Migrations", "Postgres"), "*_InitialKeyStore.cs"));
        Assert.False(Directory.Exists(Path.Combine(directory, "Migrations", "Sqlite")));
        Assert.Contains("UseNpgsql", File.ReadAllText(Path.Combine(directory, "Program.cs")), StringComparison.Ordinal);
        Assert.Contains("authpatterns keys create --project .", File.ReadAllText(Path.Combine(directory, "README.md")), StringComparison.Ordinal);
    }

    /// <summary>Packs, installs, generates, builds and starts the template's app once for the class.</summary>
    public sealed class GeneratedApp : IAsyncLifetime
    {
        private static readonly string[] Packages =
        [
            "src/AuthPatterns/AuthPatterns.csproj",
            "src/AuthPatterns.EntityFrameworkCore/AuthPatterns.EntityFrameworkCore.csproj",
            "src/AuthPatterns.OpenApi/AuthPatterns.OpenApi.csproj",
            "src/AuthPatterns.Tool/AuthPatterns.Tool.csproj",
            "templates/AuthPatterns.Templates.csproj",
        ];

        private readonly string _root = Path.Combine(Path.GetTempPath(), "authpatterns-template-" + Guid.NewGuid().ToString("N")[..12]);
        private readonly StringBuilder _appOutput = new();
        private Process? _process;

        public string Name { get; } = "OrdersApi";

        public string ProjectDirectory => Path.Combine(_root, "app");

        public HttpClient Client { get; private set; } = null!;

        public string ApiKey { get; private set; } = "";

        private string Feed => Path.Combine(_root, "feed");

        private string ToolPath => Path.Combine(_root, "tools");

        private string Home => Path.Combine(_root, "home");

        private string Hive => Path.Combine(_root, "hive");

        public async Task InitializeAsync()
        {
            Directory.CreateDirectory(Feed);
            Directory.CreateDirectory(Home);
            var repository = FindRepository();

            // A version of its own per run, so the global package folder never serves a stale build of the same version.
            var version = $"0.0.0-template.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
            foreach (var project in Packages)
            {
                await RunAsync(repository, "dotnet", "pack", Path.Combine(repository, project), "-c", "Release", "-o", Feed, $"-p:Version={version}", "-p:IncludeSymbols=false", "--artifacts-path", Path.Combine(_root, "artifacts"), "--nologo");
            }

            await RunAsync(_root, "dotnet", "new", "install", Path.Combine(Feed, $"AuthPatterns.Templates.{version}.nupkg"), "--debug:custom-hive", Hive);

            // One nuget.config above every generated project: the local feed, then the normal source.
            await File.WriteAllTextAsync(Path.Combine(_root, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{Feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);
            await GenerateAndBuildAsync(Name);
            await RunAsync(_root, "dotnet", "tool", "install", "--tool-path", ToolPath, "AuthPatterns.Tool", "--add-source", Feed, "--version", version);

            // The app first: in Development it applies its migrations, so the tool then writes into the tables the app reads.
            var port = FreePort();
            Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            StartApp(port);
            await WaitUntilHealthyAsync();

            // As the README says: the tool reads the app's appsettings.json (ConnectionStrings:Keys) from the project directory.
            var created = await RunToolAsync("keys", "create", "--project", ".", "--owner", "partner-1", "--scope", "profile:read", "--scope", "events:write", "--json");
            using var json = JsonDocument.Parse(created);
            ApiKey = json.RootElement.GetProperty("key").GetString()!;
        }

        public async Task DisposeAsync()
        {
            Client?.Dispose();
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process?.Dispose();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by an exiting process: the temporary directory is left for the OS to clean.
            }
        }

        /// <summary>Runs <c>dotnet new layeredapi</c> with the given options into a directory of the name, and builds it.</summary>
        /// <returns>The project's directory.</returns>
        public async Task<string> GenerateAndBuildAsync(string name, params string[] options)
        {
            var directory = name == Name ? ProjectDirectory : Path.Combine(_root, name);
            await RunAsync(_root, "dotnet", ["new", "layeredapi", "-n", name, "-o", directory, "--debug:custom-hive", Hive, .. options]);
            await RunAsync(directory, "dotnet", "build", "-c", "Release", "--nologo", "-p:TreatWarningsAsErrors=true");
            return directory;
        }

        /// <summary>Runs the installed tool in the app's directory (where the app's SQLite file is), returning its output.</summary>
        public Task<string> RunToolAsync(params string[] arguments) =>
            RunAsync(ProjectDirectory, isolate: true, Path.Combine(ToolPath, OperatingSystem.IsWindows() ? "authpatterns.exe" : "authpatterns"), arguments);

        private void StartApp(int port)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = ProjectDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(ProjectDirectory, "bin", "Release", "net10.0", Name + ".dll"));
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add($"http://127.0.0.1:{port}");
            Isolate(start);
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        private void Append(string? line)
        {
            lock (_appOutput)
            {
                _appOutput.AppendLine(line);
            }
        }

        private async Task WaitUntilHealthyAsync()
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                if (_process!.HasExited)
                {
                    // Let the reader threads take the last lines of the process before they are read.
                    await _process.WaitForExitAsync();
                    break;
                }

                try
                {
                    using var response = await Client.GetAsync("/healthz");
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(250);
            }

            lock (_appOutput)
            {
                throw new InvalidOperationException($"The generated app did not become healthy:\n{_appOutput}");
            }
        }

        // The development signing key ring (under the local application data folder) in the temporary directory, shared by
        // the tool and the app, never the user's; the template hive and the tool path are given on their command lines.
        private void Isolate(ProcessStartInfo start)
        {
            start.Environment["XDG_DATA_HOME"] = Path.Combine(Home, "data");
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
            start.Environment.Remove("ASPNETCORE_URLS");
            start.Environment.Remove("LayeredAuth__ApiKeys__Provider");
            start.Environment.Remove("LayeredAuth__ApiKeys__ConnectionString");
            start.Environment.Remove("LayeredAuth__ApiKeys__Prefix");
        }

        private Task<string> RunAsync(string directory, string fileName, params string[] arguments) =>
            RunAsync(directory, isolate: false, fileName, arguments);

        private async Task<string> RunAsync(string directory, bool isolate, string fileName, params string[] arguments)
        {
            var start = new ProcessStartInfo(fileName)
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            if (isolate)
            {
                Isolate(start);
            }

            // No build server or node shared with the builds around this test: each step is its own process tree.
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"'{fileName} {string.Join(' ', arguments)}' did not finish within 10 minutes.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}:\n{await output}\n{await error}");
            }

            return await output;
        }

        private static string FindRepository()
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "AuthPatterns.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("AuthPatterns.sln was not found above the test's directory.");
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
