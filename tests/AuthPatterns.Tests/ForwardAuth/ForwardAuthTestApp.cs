using System.Net;
using System.Security.Claims;
using AuthPatterns.ForwardAuth;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>
/// The app under test, served by TestServer as <c>https://app.example.com</c>. The test-only headers
/// <c>X-Test-Remote-IP</c> and <c>X-Test-Host</c> set the connection's remote address (default 203.0.113.5) and the
/// request's Host, standing in for the network; <c>pipeline</c> adds middleware (such as <c>UseForwardedHeaders</c>) after
/// them and before authentication.
/// </summary>
internal sealed class ForwardAuthTestApp : IAsyncDisposable
{
    public const string DefaultRemoteAddress = "203.0.113.5";

    private ForwardAuthTestApp(WebApplication app, FakeTimeProvider time, LogCapture logs)
    {
        App = app;
        Time = time;
        Logs = logs;
        Client = app.GetTestClient();
        Client.BaseAddress = new Uri("https://app.example.com/");
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public FakeTimeProvider Time { get; }

    public LogCapture Logs { get; }

    public static async Task<ForwardAuthTestApp> StartAsync(
        Action<ForwardAuthAuthenticationOptions> configure,
        Action<LayeredAuthBuilder>? more = null,
        Action<WebApplicationBuilder>? host = null,
        Action<WebApplication>? pipeline = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var logs = new LogCapture();
        var app = await TestHost.Create()
            .WithLogs(logs)
            .WithTime(time)
            .Configure(host ?? (_ => { }))
            .WithLayeredAuth(layered =>
            {
                layered.AddForwardAuth(configure);
                more?.Invoke(layered);
            })
            .BeforeAuthentication(app =>
            {
                UseTestNetwork(app);
                pipeline?.Invoke(app);
            })
            .Map(MapEndpoints)
            .StartAsync();
        return new ForwardAuthTestApp(app, time, logs);
    }

    // X-Test-Remote-IP and X-Test-Host stand in for the network.
    private static void UseTestNetwork(WebApplication app) =>
        app.Use((context, next) =>
        {
            var remote = context.Request.Headers["X-Test-Remote-IP"].ToString();
            context.Connection.RemoteIpAddress = IPAddress.Parse(remote.Length > 0 ? remote : DefaultRemoteAddress);
            var host = context.Request.Headers["X-Test-Host"].ToString();
            if (host.Length > 0)
            {
                context.Request.Host = new HostString(host);
            }

            return next(context);
        });

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/app/dashboard", (ClaimsPrincipal user) => Results.Ok(Describe(user)))
            .RequireAuthorization()
            .AllowSchemes(LayeredAuthSchemes.ForwardAuth);
        app.MapPost("/app/orders", (ClaimsPrincipal user) => Results.Ok(Describe(user))).RequireScope("orders:write");
        app.MapDelete("/app/orders/{id}", (string id) => Results.Ok(new { deleted = id })).RequireScope("orders:write");
        app.MapPost("/public/comments", (ClaimsPrincipal user) => Results.Ok(new { authenticated = user.Identity?.IsAuthenticated ?? false }));
        app.MapGet("/public/echo", (HttpContext context) => Results.Ok(new
        {
            remoteUser = context.Request.Headers["Remote-User"].ToString(),
            proof = context.Request.Headers[ForwardAuthAuthenticationDefaults.ProofHeaderName].ToString(),
            remoteAddress = context.Connection.RemoteIpAddress?.ToString(),
            authorization = context.Request.Headers.Authorization.ToString(),
            authenticated = context.User.Identity?.IsAuthenticated ?? false,
        }));
        app.MapGet("/ping", () => "pong");
        app.MapFallback("{**path}", () => "fallback").RequireAuthorization().AllowSchemes(LayeredAuthSchemes.ForwardAuth);
        app.MapForwardAuthSignOut("/signout");
    }

    public Task<HttpResponseMessage> SendAsync(
        HttpMethod method,
        string path,
        string? cookie = null,
        string? accept = null,
        params (string Name, string Value)[] headers)
    {
        // Concatenated rather than resolved against the base address, so "//evil.com/x" stays a path.
        var request = new HttpRequestMessage(method, new Uri("https://app.example.com" + path));
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? cookie = null, string? accept = null, params (string Name, string Value)[] headers) =>
        SendAsync(HttpMethod.Get, path, cookie, accept, headers);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }

    private static object Describe(ClaimsPrincipal user) => new
    {
        sub = user.FindFirstValue(LayeredClaimTypes.Subject),
        name = user.FindFirstValue(LayeredClaimTypes.Name),
        email = user.FindFirstValue(LayeredClaimTypes.Email),
        scheme = user.FindFirstValue(LayeredClaimTypes.Scheme),
        authenticationType = user.Identity?.AuthenticationType,
        groups = user.FindAll(LayeredClaimTypes.Group).Select(c => c.Value).ToArray(),
        scopes = user.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value).ToArray(),
    };
}
