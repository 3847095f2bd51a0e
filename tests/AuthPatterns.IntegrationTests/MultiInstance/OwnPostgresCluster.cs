using System.Diagnostics;
using System.Globalization;

namespace AuthPatterns.IntegrationTests.MultiInstance;

/// <summary>
/// A PostgreSQL cluster of the test's own (<c>initdb</c> into a temporary directory, <c>pg_ctl</c> on a free loopback
/// port), which the test may stop and start again. The shared PostgreSQL of the other tests is never touched. As root
/// (containers, CI) the server runs as the <c>postgres</c> user, which refuses to run as root, as tests/services.sh does.
/// </summary>
internal sealed class OwnPostgresCluster : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asPostgres;
    private bool _running;

    private OwnPostgresCluster(string directory, string bin, bool asPostgres, int port)
    {
        _directory = directory;
        _bin = bin;
        _asPostgres = asPostgres;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A connection string to <paramref name="database"/> on this cluster.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=5";

    private string Data => Path.Combine(_directory, "data");

    public static async Task<OwnPostgresCluster> StartAsync()
    {
        var bin = FindBinaries();
        var asPostgres = Environment.UserName == "root";
        var directory = Path.Combine(Path.GetTempPath(), $"authpatterns-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var cluster = new OwnPostgresCluster(directory, bin, asPostgres, SampleInstance.FreePort());
        try
        {
            if (asPostgres)
            {
                await RunAsync("chown", "postgres", directory);
            }

            await cluster.RunToolAsync("initdb", "-D", cluster.Data, "-U", "postgres", "-A", "trust", "--no-sync");
            await cluster.StartAgainAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Starts the server (again) on its port and data directory, waiting until it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        var options = $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100";
        await RunToolAsync("pg_ctl", "-D", Data, "-o", options, "-l", Path.Combine(_directory, "log"), "-w", "start");
        _running = true;
    }

    /// <summary>Stops the server (fast shutdown: sessions are ended, the port closes) and waits until it is down.</summary>
    public async Task StopAsync()
    {
        await RunToolAsync("pg_ctl", "-D", Data, "-m", "fast", "-w", "stop");
        _running = false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_running)
        {
            try
            {
                await RunToolAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Already down.
            }
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    // The PostgreSQL binaries: pg_ctl on PATH (with initdb beside it), else the newest /usr/lib/postgresql/<version>/bin.
    private static string FindBinaries()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(directory, "pg_ctl")) && File.Exists(Path.Combine(directory, "initdb")))
            {
                return directory;
            }
        }

        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1, Bin: Path.Combine(d, "bin")))
                .Where(d => d.Version >= 0 && File.Exists(Path.Combine(d.Bin, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Bin)
                .FirstOrDefault()
            : null;
        return installed ?? throw new InvalidOperationException("pg_ctl and initdb are neither on PATH nor under /usr/lib/postgresql/<version>/bin: install PostgreSQL (tests/run.sh does).");
    }

    private Task RunToolAsync(string tool, params string[] arguments) =>
        _asPostgres
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments])
            : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{fileName} {string.Join(' ', arguments)}' did not finish within 60 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }
}
