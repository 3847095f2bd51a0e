using System.Diagnostics;
using System.Text;

namespace AuthPatterns.EndToEndTests;

/// <summary>
/// A sample app as a real process (<c>dotnet</c> on its built dll, from its output folder), configured through
/// environment variables, stopped at dispose. Its output is kept so a failing test can show it.
/// </summary>
public sealed class SampleProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SampleProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <c>samples/{project}</c> in Development on <paramref name="address"/> and waits until <paramref name="readyPath"/> answers 200.</summary>
    public static async Task<SampleProcess> StartAsync(string project, Uri address, IReadOnlyDictionary<string, string> settings, string readyPath)
    {
        var directory = Path.Combine(EndToEndEnvironment.RepositoryRoot, "samples", project, "bin", EndToEndEnvironment.Configuration, "net10.0");
        var dll = Path.Combine(directory, project + ".dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: build the solution first (dotnet build AuthPatterns.sln -c {EndToEndEnvironment.Configuration}).");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(address.AbsoluteUri.TrimEnd('/'));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = start };
        var sample = new SampleProcess(process, address);
        process.OutputDataReceived += (_, e) => sample.Append(e.Data);
        process.ErrorDataReceived += (_, e) => sample.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                // Let the reader threads take the last lines of the process before they are read.
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"{project} exited with code {process.ExitCode} at startup:\n{sample.Output}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(address, readyPath));
                if (response.IsSuccessStatusCode)
                {
                    return sample;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy machine: ask again.
            }

            await Task.Delay(200);
        }

        await sample.DisposeAsync();
        throw new TimeoutException($"{project} did not answer {readyPath} within {StartTimeout.TotalSeconds} s:\n{sample.Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}
