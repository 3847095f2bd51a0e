using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace AuthPatterns.IntegrationTests.MultiInstance;

/// <summary>
/// A <c>redis-server</c> of the test's own on a free loopback port, which the test may kill and start again on the
/// same port. The shared Redis of the other tests is never touched.
/// </summary>
internal sealed class OwnRedisServer : IAsyncDisposable
{
    private Process? _process;

    private OwnRedisServer(int port) => Port = port;

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<OwnRedisServer> StartAsync()
    {
        var server = new OwnRedisServer(SampleInstance.FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on its port and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("redis-server is not on PATH: install Redis (tests/run.sh does).", exception);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (!await PingAsync())
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING (exited: {_process.HasExited}).");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Kills the server process (SIGKILL): clients see their connections drop, as when Redis crashes.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// Stops the server process (SIGSTOP) without closing its connections: clients see a Redis that accepts commands and
    /// never answers, as a hung or swapping server does. <see cref="ResumeAsync"/> continues it.
    /// </summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Continues a paused server (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    public async ValueTask DisposeAsync()
    {
        await ResumeAsync();
        await KillAsync();
    }

    private async Task SignalAsync(string signal)
    {
        if (_process is not { HasExited: false })
        {
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill")
        {
            ArgumentList = { signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            UseShellExecute = false,
        })!;
        await kill.WaitForExitAsync();
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
