using Microsoft.AspNetCore.TestHost;

namespace AuthPatterns.Tests.Layered;

/// <summary>A <see cref="TestHost"/> app with layered auth and the test schemes (or the schemes <c>configure</c> adds).</summary>
internal static class LayeredTestHost
{
    public static async Task<WebApplication> StartAsync(
        Action<WebApplication> map,
        Action<LayeredAuthBuilder>? configure = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? beforeAuthentication = null)
    {
        var host = TestHost.Create().WithLayeredAuth(configure ?? (b => b.AddTestSchemes()));
        if (services is not null)
        {
            host.WithServices(services);
        }

        if (beforeAuthentication is not null)
        {
            host.BeforeAuthentication(beforeAuthentication);
        }

        return await host.Map(map).StartAsync();
    }

    public static HttpClient Client(this WebApplication app) => app.GetTestClient();
}
