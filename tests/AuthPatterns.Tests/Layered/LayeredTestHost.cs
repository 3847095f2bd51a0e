using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace AuthPatterns.Tests.Layered;

/// <summary>An in-process app with layered auth and the test schemes, served by TestServer.</summary>
internal static class LayeredTestHost
{
    public static async Task<WebApplication> StartAsync(
        Action<WebApplication> map,
        Action<LayeredAuthBuilder>? configure = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? beforeAuthentication = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var layered = builder.Services.AddLayeredAuth();
        (configure ?? (b => b.AddTestSchemes()))(layered);
        services?.Invoke(builder.Services);

        var app = builder.Build();
        beforeAuthentication?.Invoke(app);
        app.UseAuthentication();
        app.UseAuthorization();
        map(app);
        await app.StartAsync();
        return app;
    }

    public static HttpClient Client(this WebApplication app) => app.GetTestClient();
}
