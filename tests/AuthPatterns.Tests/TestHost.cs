using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;

namespace AuthPatterns.Tests;

/// <summary>
/// The one way a unit test builds an app: a <see cref="WebApplication"/> served by TestServer (or, for a fake remote
/// service, by Kestrel on a loopback port), with no log output unless a capture is given. Services, configuration, the
/// clock and layered auth are applied in the order they are called; middleware given to <see cref="BeforeAuthentication"/>
/// runs first, then authentication and authorization (with <see cref="WithLayeredAuth"/>), then the endpoints of
/// <see cref="Map"/>.
/// </summary>
internal sealed class TestHost
{
    private readonly WebApplicationBuilder _builder;
    private readonly List<Action<WebApplication>> _beforeAuthentication = [];
    private readonly List<Action<WebApplication>> _afterAuthentication = [];
    private readonly List<Action<WebApplication>> _endpoints = [];
    private bool _authentication;

    private TestHost(string environment, bool loopback)
    {
        _builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        if (loopback)
        {
            _builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        }
        else
        {
            _builder.WebHost.UseTestServer();
        }

        _builder.Logging.ClearProviders();
    }

    /// <summary>An app served by TestServer, in <paramref name="environment"/>.</summary>
    public static TestHost Create(string environment = "Development") => new(environment, loopback: false);

    /// <summary>An app served by Kestrel on a free loopback port (see <see cref="Address"/>): a fake remote service.</summary>
    public static TestHost CreateOnLoopback() => new("Production", loopback: true);

    /// <summary>The address a started loopback app listens on, with <c>127.0.0.1</c> as its host.</summary>
    public static Uri Address(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
    }

    /// <summary>Anything else on the builder.</summary>
    public TestHost Configure(Action<WebApplicationBuilder> configure)
    {
        configure(_builder);
        return this;
    }

    public TestHost WithServices(Action<IServiceCollection> configure)
    {
        configure(_builder.Services);
        return this;
    }

    public TestHost WithConfiguration(IDictionary<string, string?> values)
    {
        _builder.Configuration.AddInMemoryCollection(values);
        return this;
    }

    /// <summary>Every log line, from trace up, goes to <paramref name="logs"/>.</summary>
    public TestHost WithLogs(LogCapture logs)
    {
        _builder.Logging.SetMinimumLevel(LogLevel.Trace);
        _builder.Logging.AddProvider(logs);
        return this;
    }

    /// <summary>The app's clock (a <c>FakeTimeProvider</c>, usually).</summary>
    public TestHost WithTime(TimeProvider time)
    {
        _builder.Services.AddSingleton(time);
        return this;
    }

    /// <summary>
    /// Adds layered auth (bound to the configuration section <paramref name="section"/> when given) and lets
    /// <paramref name="configure"/> add schemes; the pipeline then authenticates and authorizes.
    /// </summary>
    public TestHost WithLayeredAuth(Action<LayeredAuthBuilder>? configure = null, string? section = null)
    {
        var layered = section is null ? _builder.Services.AddLayeredAuth() : _builder.Services.AddLayeredAuth(_builder.Configuration.GetSection(section));
        configure?.Invoke(layered);
        _authentication = true;
        return this;
    }

    /// <summary>Middleware that runs before authentication (a stand-in for the network, forwarded headers).</summary>
    public TestHost BeforeAuthentication(Action<WebApplication> pipeline)
    {
        _beforeAuthentication.Add(pipeline);
        return this;
    }

    /// <summary>Middleware that runs after authentication and before authorization.</summary>
    public TestHost AfterAuthentication(Action<WebApplication> pipeline)
    {
        _afterAuthentication.Add(pipeline);
        return this;
    }

    public TestHost Map(Action<WebApplication> endpoints)
    {
        _endpoints.Add(endpoints);
        return this;
    }

    /// <summary>Builds the app and its pipeline, without starting it.</summary>
    public WebApplication Build()
    {
        var app = _builder.Build();
        foreach (var pipeline in _beforeAuthentication)
        {
            pipeline(app);
        }

        if (_authentication)
        {
            app.UseAuthentication();
            foreach (var pipeline in _afterAuthentication)
            {
                pipeline(app);
            }

            app.UseAuthorization();
        }

        foreach (var endpoints in _endpoints)
        {
            endpoints(app);
        }

        return app;
    }

    /// <summary>Builds and starts the app; when starting fails (a configuration error), the app is disposed first.</summary>
    public async Task<WebApplication> StartAsync()
    {
        var app = Build();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }
}
