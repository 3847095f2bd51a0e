using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace AuthPatterns.IntegrationTests.MultiInstance;

/// <summary>
/// The built sample started as a process of its own (<c>dotnet LayeredApi.dll --urls http://127.0.0.1:{port}</c>), as
/// production runs it: nothing shared with the test or another instance but what it is configured with. Its console is
/// captured; it is killed on dispose if it is still running.
/// </summary>
internal sealed class SampleInstance : IAsyncDisposable
{
    private const int OutputLines = 400;
    private readonly Queue<string> _output = new();
    private readonly Process _process;

    private SampleInstance(string name, Process process, int port)
    {
        Name = name;
        _process = process;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Port { get; }

    public HttpClient Client { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote (standard output and error together).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>The sample's DLL, built by the solution build beside this test project (same configuration and framework).</summary>
    public static string SampleDll => BuiltDll(Path.Combine("samples", "LayeredApi"), "LayeredApi.dll");

    /// <summary>
    /// The DLL a project of the repository builds, with this test project's configuration and framework (the solution
    /// build builds them all).
    /// </summary>
    public static string BuiltDll(string projectDirectory, string dll)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory).Name;
        var configuration = typeof(SampleInstance).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var path = Path.Combine(RepositoryRoot, projectDirectory, "bin", configuration, framework, dll);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: build the solution (dotnet build AuthPatterns.sln -c {configuration}) first.");
    }

    private static string RepositoryRoot
    {
        get
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
    }

    /// <summary>Starts an instance with the given configuration (environment variables) and waits until it is ready.</summary>
    public static async Task<SampleInstance> StartAsync(string name, IReadOnlyDictionary<string, string> environment)
    {
        var dll = SampleDll;
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");

        // Only what the test gives: no key store, Redis or URL inherited from the environment the tests run in.
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("LayeredAuth__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(variable);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__LogLevel__AuthPatterns"] = "Information";
        start.Environment["Logging__LogLevel__AuthPatterns.ApiKeys.ApiKeyAuthenticationHandler"] = "Warning";
        start.Environment["Logging__LogLevel__AuthPatterns.Selection"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Extensions.Diagnostics.HealthChecks"] = "Error";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var instance = new SampleInstance(name, Process.Start(start)!, port);
        try
        {
            await instance.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>The answer of <c>/healthz/ready</c> (<c>Healthy</c>, <c>Degraded</c>, <c>Unhealthy</c>), or <see langword="null"/> when there is none.</summary>
    public async Task<string?> ReadinessAsync()
    {
        try
        {
            using var response = await Client.GetAsync("/healthz/ready");
            return await response.Content.ReadAsStringAsync();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Waits until <c>/healthz/ready</c> answers <paramref name="status"/>.</summary>
    public async Task WaitForReadinessAsync(string status, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string? last = null;
        while (clock.Elapsed < timeout)
        {
            last = await ReadinessAsync();
            if (last == status)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{Name} still reports '{last}' instead of '{status}' after {timeout.TotalSeconds:0} s. Its output:\n{Output}");
    }

    /// <summary>Sends SIGTERM, as a container runtime or systemd stops a service, and waits for the process to end.</summary>
    /// <returns>The exit code.</returns>
    public async Task<int> StopGracefullyAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not stop within {timeout.TotalSeconds:0} s of SIGTERM. Its output:\n{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !_process.HasExited)
        {
            if (await ReadinessAsync() is "Healthy" or "Degraded")
            {
                return;
            }

            await Task.Delay(100);
        }

        // Let the reader threads take the last lines of a process that exited.
        if (_process.HasExited)
        {
            await _process.WaitForExitAsync();
        }

        throw new InvalidOperationException($"{Name} did not become ready within {timeout.TotalSeconds:0} s{(_process.HasExited ? $" (exited with {_process.ExitCode})" : "")}. Its output:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLines)
            {
                _output.Dequeue();
            }
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
