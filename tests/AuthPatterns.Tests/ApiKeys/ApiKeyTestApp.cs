using System.Net;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>
/// An in-process app with the API-key scheme (cheap Argon2id parameters), a stand-in Bearer scheme, a fake clock and a
/// log capture. On dispose it checks that no secret of any key the test used reached a log line.
/// </summary>
internal sealed class ApiKeyTestApp : IAsyncDisposable
{
    public const string RemoteAddressHeader = "X-Test-Remote-Address";

    private readonly List<string> _keys = [];

    private ApiKeyTestApp(WebApplication app, FakeTimeProvider time, LogCapture logs, List<string> outcomes, List<ApiKeyExposedContext> exposures)
    {
        App = app;
        Time = time;
        Logs = logs;
        Outcomes = outcomes;
        Exposures = exposures;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public FakeTimeProvider Time { get; }

    public LogCapture Logs { get; }

    public List<string> Outcomes { get; }

    public List<ApiKeyExposedContext> Exposures { get; }

    public ApiKeyManager Manager => App.Services.GetRequiredService<ApiKeyManager>();

    public InMemoryApiKeyStore Store => (InMemoryApiKeyStore)App.Services.GetRequiredService<IApiKeyStore>();

    public ApiKeyHasher Hasher => App.Services.GetRequiredService<ApiKeyHasher>();

    public ApiKeyVerifier Verifier => App.Services.GetRequiredService<ApiKeyVerifier>();

    public ApiKeyUsageRecorder Usage => App.Services.GetRequiredService<ApiKeyUsageRecorder>();

    public static void Cheap(ApiKeyAuthenticationOptions options)
    {
        options.HashMemorySize = 64;
        options.HashIterations = 1;
        options.HashParallelism = 1;
    }

    public static async Task<ApiKeyTestApp> StartAsync(Action<ApiKeyAuthenticationOptions>? configure = null, bool mapManagement = false, bool mapDashboard = false, Action<IServiceCollection>? services = null)
    {
        var logs = new LogCapture();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var outcomes = new List<string>();
        var exposures = new List<ApiKeyExposedContext>();
        var app = await TestHost.Create().WithLogs(logs).WithTime(time).WithLayeredAuth(layered => AddSchemes(layered, configure, outcomes, exposures))
            .BeforeAuthentication(app => app.Use((context, next) =>
            {
                if (context.Request.Headers.TryGetValue(RemoteAddressHeader, out var address))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
                }

                return next(context);
            }))
            .WithServices(s => services?.Invoke(s))
            .Map(app => MapEndpoints(app, mapManagement, mapDashboard))
            .StartAsync();
        return new ApiKeyTestApp(app, time, logs, outcomes, exposures);
    }

    private static void AddSchemes(LayeredAuthBuilder layered, Action<ApiKeyAuthenticationOptions>? configure, List<string> outcomes, List<ApiKeyExposedContext> exposures)
    {
        layered.AddApiKeys(options =>
        {
            Cheap(options);
            options.Events.OnAuthenticationFailed = context =>
            {
                lock (outcomes)
                {
                    outcomes.Add(context.Outcome);
                }

                return Task.CompletedTask;
            };
            options.Events.OnKeyValidated = context =>
            {
                lock (outcomes)
                {
                    outcomes.Add(ApiKeyOutcomes.Valid);
                }

                return Task.CompletedTask;
            };
            options.Events.OnKeyExposed = context =>
            {
                lock (exposures)
                {
                    exposures.Add(context);
                }

                return Task.CompletedTask;
            };
            configure?.Invoke(options);
        });

        // A stand-in for the JWT scheme: "Authorization: Bearer <subject>|<scopes>".
        layered.Authentication.AddScheme<TestCredentialOptions, TestCredentialHandler>(LayeredAuthSchemes.Bearer, o => o.Read = r =>
        {
            var auth = r.Headers.Authorization.ToString();
            return auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : null;
        });
        layered.AddCredentialScheme(new LayeredCredentialScheme(
            LayeredAuthSchemes.Bearer,
            c => c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal)));
    }

    private static void MapEndpoints(WebApplication app, bool mapManagement, bool mapDashboard)
    {
        app.MapGet("/ping", () => "pong").AllowAnonymous();
        app.MapGet("/api/ping", () => "pong").RequireAuthorization();
        app.MapGet("/me", (System.Security.Claims.ClaimsPrincipal user) => Results.Ok(new
        {
            sub = user.FindFirst(LayeredClaimTypes.Subject)?.Value,
            keyId = user.FindFirst(LayeredClaimTypes.KeyId)?.Value,
            tenant = user.FindFirst(LayeredClaimTypes.Tenant)?.Value,
            scheme = user.FindFirst(LayeredClaimTypes.Scheme)?.Value,
            scopes = user.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value).ToArray(),
        })).RequireAuthorization();
        app.MapPost("/webhooks/events", () => Results.Accepted()).RequireScope("events:write").AllowSchemes(LayeredAuthSchemes.ApiKey);
        app.MapGet("/internal/reports", () => "reports").RequireAuthorization().AllowSchemes(LayeredAuthSchemes.Bearer);
        if (mapManagement)
        {
            app.MapApiKeyManagement("/admin/api-keys");
        }

        if (mapDashboard)
        {
            app.MapLayeredAuthDashboard("/authpatterns");
        }
    }

    /// <summary>Creates a key through the manager and remembers it for the log check.</summary>
    public async Task<CreatedApiKey> CreateKeyAsync(
        string[]? scopes = null,
        TimeSpan? lifetime = null,
        string[]? networks = null,
        string owner = "partner-1",
        string? tenant = "acme")
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest
        {
            OwnerId = owner,
            Tenant = tenant,
            Scopes = scopes ?? ["events:write", "profile:read"],
            Lifetime = lifetime,
            AllowedNetworks = networks ?? [],
        });
        Use(created.Key);
        return created;
    }

    /// <summary>Remembers a key the test presents, so the log check covers it too.</summary>
    public string Use(string key)
    {
        lock (_keys)
        {
            _keys.Add(key);
        }

        return key;
    }

    /// <summary>A well-formed key (valid checksum) for an existing id with a different secret: a guess.</summary>
    public string Guess(string keyId) => Use(ApiKeyFormat.Create(ApiKeyFormat.DefaultPrefix, test: false, keyId));

    public Task<HttpResponseMessage> SendAsync(string path, string? key, HttpMethod? method = null, string? address = null, bool authorizationHeader = false)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (key is not null)
        {
            if (authorizationHeader)
            {
                request.Headers.TryAddWithoutValidation("Authorization", "ApiKey " + key);
            }
            else
            {
                request.Headers.TryAddWithoutValidation("X-API-Key", key);
            }
        }

        if (address is not null)
        {
            request.Headers.Add(RemoteAddressHeader, address);
        }

        return Client.SendAsync(request);
    }

    public string LastOutcome()
    {
        lock (Outcomes)
        {
            return Outcomes[^1];
        }
    }

    /// <summary>The secrets of the keys used: the whole key and the part after the id.</summary>
    public IEnumerable<string> Secrets()
    {
        lock (_keys)
        {
            foreach (var key in _keys)
            {
                yield return key;
                yield return key[(key.LastIndexOf('_') + 1)..];
            }
        }
    }

    public void AssertNoSecretInLogs()
    {
        var lines = Logs.Lines.ToArray();
        Assert.NotEmpty(lines);
        foreach (var secret in Secrets().ToArray())
        {
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        AssertNoSecretInLogs();
    }
}
