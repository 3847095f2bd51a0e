using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace AuthPatterns.EndToEndTests;

/// <summary>
/// nginx or Caddy from Debian's packages, as a real process on a free loopback port, in front of the API, with a
/// configuration generated from the ready files in samples/proxies (their placeholders filled in) in a temporary folder.
/// </summary>
public sealed class ReverseProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private ReverseProxy(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Starts the proxy named <paramref name="kind"/> (<c>nginx</c> or <c>caddy</c>).</summary>
    /// <param name="kind"><c>nginx</c> or <c>caddy</c>.</param>
    /// <param name="api">The API behind the proxy.</param>
    /// <param name="authServer">The authorization server the proxy asks (forward-auth).</param>
    /// <param name="proofSecret">The secret the proxy adds, on forward-auth routes only, as <c>X-Forward-Auth-Proof</c>.</param>
    public static async Task<ReverseProxy> StartAsync(string kind, Uri api, Uri authServer, string proofSecret)
    {
        var port = EndToEndEnvironment.FreePort();
        var directory = Directory.CreateTempSubdirectory($"ap-{kind}-").FullName;
        var template = await File.ReadAllTextAsync(Path.Combine(EndToEndEnvironment.RepositoryRoot, "samples", "proxies", kind == "nginx" ? "nginx.conf" : "Caddyfile"));
        var config = template
            .Replace(":8080", $":{port}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5080", $"127.0.0.1:{api.Port}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5100", $"127.0.0.1:{authServer.Port}", StringComparison.Ordinal)
            .Replace("<TrustedHeadersSecret>", proofSecret, StringComparison.Ordinal);
        if (config.Contains("8080", StringComparison.Ordinal) || !config.Contains(proofSecret, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The {kind} template's placeholders changed:\n{config}");
        }

        var start = kind switch
        {
            "nginx" => new ProcessStartInfo(EndToEndEnvironment.Nginx) { ArgumentList = { "-p", directory, "-c", Path.Combine(directory, "nginx.conf"), "-g", "daemon off;" } },
            "caddy" => new ProcessStartInfo(EndToEndEnvironment.Caddy) { ArgumentList = { "run", "--config", Path.Combine(directory, "Caddyfile"), "--adapter", "caddyfile" } },
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "nginx or caddy"),
        };
        await File.WriteAllTextAsync(Path.Combine(directory, kind == "nginx" ? "nginx.conf" : "Caddyfile"), config);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["HOME"] = directory;
        start.Environment["XDG_DATA_HOME"] = directory;
        start.Environment["XDG_CONFIG_HOME"] = directory;

        var process = new Process { StartInfo = start };
        var proxy = new ReverseProxy(process, directory, new Uri($"http://localhost:{port}/"));
        process.OutputDataReceived += (_, e) => proxy.Append(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                // Let the reader threads take the last lines of the process before they are read.
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"{kind} exited with code {process.ExitCode}:\n{proxy.Output}\n{config}");
            }

            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync("127.0.0.1", port);
                return proxy;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        await proxy.DisposeAsync();
        throw new TimeoutException($"{kind} did not listen on {port}:\n{proxy.Output}");
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                var log = Path.Combine(_directory, "error.log");
                return _output + (File.Exists(log) ? File.ReadAllText(log) : "");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by an exiting worker: the temp folder is cleaned by the system.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
