using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.Versioning;

// Debian's chromium, nginx and Caddy: these tests run on Linux.
[assembly: SupportedOSPlatform("linux")]

namespace AuthPatterns.EndToEndTests;

/// <summary>
/// The programs these tests drive: Debian's chromium, nginx and Caddy, found through the variables tests/run.sh exports
/// (after installing them), else at their Debian paths. A missing one fails the test that needs it, loudly: nothing is
/// skipped and nothing is faked.
/// </summary>
internal static class EndToEndEnvironment
{
    public static string Chromium => Program("AUTHPATTERNS_CHROMIUM", "/usr/bin/chromium", "chromium");

    public static string Nginx => Program("AUTHPATTERNS_NGINX", "/usr/sbin/nginx", "nginx");

    public static string Caddy => Program("AUTHPATTERNS_CADDY", "/usr/bin/caddy", "caddy");

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public static string Configuration => Metadata("Configuration");

    /// <summary>Where screenshots go: the test output folder.</summary>
    public static string OutputDirectory => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Program(string variable, string debianPath, string package)
    {
        var path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } set ? set : debianPath;
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException(
                $"{package} is not installed ({variable} is not set and {debianPath} does not exist): run the tests with tests/run.sh, which installs it with apt-get.");
    }

    private static string Metadata(string key) =>
        typeof(EndToEndEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
