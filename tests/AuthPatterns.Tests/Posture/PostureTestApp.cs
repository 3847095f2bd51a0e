using System.Net;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Posture;
using AuthPatterns.Tests.ApiKeys;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.Posture;

/// <summary>
/// An in-process app with the real API-key (in-memory store) and forward-auth schemes, a fake clock, the forwarded-headers
/// middleware with its defaults (only loopback proxies trusted), and the connection address taken from
/// <c>X-Test-Remote-IP</c> (203.0.113.7 when absent).
/// </summary>
internal sealed class PostureTestApp : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private PostureTestApp(WebApplication app, FakeTimeProvider time, LogCapture logs)
    {
        App = app;
        Time = time;
        Logs = logs;
    }

    public WebApplication App { get; }

    public FakeTimeProvider Time { get; }

    public LogCapture Logs { get; }

    public InMemoryApiKeyStore Store => (InMemoryApiKeyStore)App.Services.GetRequiredService<IApiKeyStore>();

    public HttpClient Client => App.GetTestClient();

    public static async Task<PostureTestApp> StartAsync(
        Action<WebApplication> map,
        Action<ForwardAuthAuthenticationOptions>? forwardAuth = null,
        Action<LayeredAuthBuilder>? more = null,
        string environment = "Production",
        bool apiKeys = true)
    {
        var time = new FakeTimeProvider(Now);
        var logs = new LogCapture();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor);
        var layered = builder.Services.AddLayeredAuth();
        if (apiKeys)
        {
            layered.AddApiKeys(ApiKeyTestApp.Cheap);
        }

        if (forwardAuth is not null)
        {
            layered.AddForwardAuth(o =>
            {
                o.VerifyUrl = new Uri("https://portal.test/api/authz/forward-auth");
                o.AllowedHosts.Add("app.test");
                forwardAuth(o);
            });
        }

        more?.Invoke(layered);

        var app = builder.Build();
        app.Use((context, next) =>
        {
            var remote = context.Request.Headers["X-Test-Remote-IP"].ToString();
            context.Connection.RemoteIpAddress = IPAddress.Parse(remote.Length > 0 ? remote : "203.0.113.7");
            return next(context);
        });
        app.UseForwardedHeaders();
        app.UseAuthentication();
        app.UseAuthorization();
        map(app);
        await app.StartAsync();
        return new PostureTestApp(app, time, logs);
    }

    public Task<AuthPostureReport> ReportAsync() => App.Services.GetRequiredService<IAuthPostureReporter>().GetReportAsync();

    public async Task<ApiKeyRecord> AddKeyAsync(
        string id,
        IEnumerable<string>? scopes = null,
        DateTimeOffset? created = null,
        DateTimeOffset? expires = null,
        DateTimeOffset? lastUsed = null,
        string? rolledFrom = null,
        DateTimeOffset? revoked = null)
    {
        var record = new ApiKeyRecord
        {
            Id = id,
            OwnerId = "partner-" + id,
            Scopes = [.. scopes ?? ["orders:read"]],
            CreatedAt = created ?? Now.AddDays(-1),
            ExpiresAt = expires,
            LastUsedAt = lastUsed,
            RolledFromId = rolledFrom,
            RevokedAt = revoked,
            Hash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        };
        await Store.CreateAsync(record);
        return record;
    }

    public async Task<string> CreateKeyAsync(params string[] scopes)
    {
        var manager = App.Services.GetRequiredService<ApiKeyManager>();
        var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "ops", Scopes = scopes, Lifetime = TimeSpan.FromDays(30) });
        return created.Key;
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}
