using System.Security.Claims;
using AuthPatterns;
using AuthPatterns.Posture;
using Microsoft.AspNetCore.Authentication;

namespace LayeredApi;

/// <summary>
/// The decision matrix as an app: each endpoint accepts the schemes that fit its callers. Each scheme's sample setup
/// lives in its own file beside this one.
/// </summary>
public static class SampleHost
{
    /// <summary>Where the dashboard is mapped, in Development.</summary>
    public const string DashboardPath = "/authpatterns";

    /// <summary>The dashboard's posture page, under <see cref="DashboardPath"/>.</summary>
    public const string DashboardPosturePath = "/posture";

    /// <summary>Builds the sample app, configured from appsettings.json, the environment and the command line.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--environment</c>, <c>--LayeredAuth:...</c>).</param>
    /// <returns>The app, endpoints mapped, not started.</returns>
    public static WebApplication Build(string[] args) => Build(args, Console.Out);

    /// <summary>Builds the sample app, writing its startup guide to <paramref name="console"/>.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--environment</c>, <c>--LayeredAuth:...</c>).</param>
    /// <param name="console">Where the guide printed on every start goes.</param>
    /// <returns>The app, endpoints mapped, not started.</returns>
    public static WebApplication Build(string[] args, TextWriter console)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddSingleton(new SampleGuide(console));

        // One call, three schemes; each scheme reads its own sub-section of "LayeredAuth" (see README.md).
        var layered = builder.Services.AddLayeredAuth(builder.Configuration.GetSection("LayeredAuth"));
        layered.AddApiKeysSample(builder.Configuration);
        layered.AddJwtSample(builder);
        layered.AddForwardAuthSample(builder.Configuration);
        builder.Services.AddForwardedHeadersSample(builder.Configuration);
        layered.AddBrowserLoginSample(builder);
        layered.AddDashboardSignInHint(builder);
        layered.AddScaleOutSample(builder.Configuration);

        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApiSample();

        var app = builder.Build();
        app.UseForwardedHeadersSample();
        app.UseJwtSample();

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        MapEndpoints(app);
        app.MapForwardAuthSample();
        app.MapBrowserLoginSample();
        app.MapApiKeysSample();
        app.MapScaleOutSample();
        if (app.Environment.IsDevelopment())
        {
            // Keys and their usage, for a person holding authpatterns:admin (the demo user, through /login).
            app.MapLayeredAuthDashboard(DashboardPath);
        }

        // The auth posture report (docs/posture.md); in Development a browser or `authpatterns posture` on this machine
        // reads it without a credential, elsewhere it needs the scope authpatterns:admin.
        if (app.Environment.IsDevelopment())
        {
            app.MapAuthPosture(AuthPostureEndpointOptions.DefaultPattern, posture => posture.AllowLoopback = true);
        }

        app.MapOpenApiSample();
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<SampleGuide>().WriteAsync(app).GetAwaiter().GetResult());
        return app;
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "healthy" })).AllowAnonymous();
        app.MapGet("/ping", () => "pong").AllowAnonymous();

        // The same answer as /ping behind authentication: the pair measures what authentication costs.
        app.MapGet("/api/ping", () => "pong").RequireAuthorization();

        app.MapGet("/api/profile", (ClaimsPrincipal user) => Results.Ok(Profile.Of(user)))
            .RequireScope("profile:read");

        app.MapPost("/webhooks/events", (ClaimsPrincipal user) => Results.Accepted(value: new { received = true, keyId = user.FindFirstValue(LayeredClaimTypes.KeyId) }))
            .RequireScope("events:write")
            .AllowSchemes(LayeredAuthSchemes.ApiKey);

        // Bearer tokens are on in Development (the development issuer) or when LayeredAuth:Jwt is configured; elsewhere
        // without configuration this endpoint answers 401 to everyone, and startup says so (event 1004).
        app.MapGet("/internal/reports", (ClaimsPrincipal user) => Results.Ok(new { reports = new[] { "daily", "weekly" }, caller = user.FindFirstValue(LayeredClaimTypes.Subject) }))
            .RequireScope("reports:read")
            .AllowSchemes(LayeredAuthSchemes.Bearer);

        // Forward-auth is off on the embedded defaults: the portal-only endpoint is mapped only when the scheme is on, since
        // an endpoint allowing only a scheme that is not registered can never succeed (startup warning 1004).
        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        if (schemes.GetSchemeAsync(LayeredAuthSchemes.ForwardAuth).GetAwaiter().GetResult() is not null)
        {
            app.MapGet("/app/dashboard", (ClaimsPrincipal user) => Results.Ok(new { welcome = user.FindFirstValue(LayeredClaimTypes.Name) ?? user.FindFirstValue(LayeredClaimTypes.Subject) }))
                .RequireAuthorization()
                .AllowSchemes(LayeredAuthSchemes.ForwardAuth);
        }

        app.MapGet("/tenants/{tenantId}/invoices", (string tenantId) => Results.Ok(new { tenant = tenantId, invoices = Array.Empty<object>() }))
            .RequireScope("invoices:read")
            .RequireTenant("tenantId");
    }

    private sealed record Profile(string? Subject, string? Scheme, IReadOnlyList<string> Scopes)
    {
        public static Profile Of(ClaimsPrincipal user) => new(
            user.FindFirstValue(LayeredClaimTypes.Subject),
            user.FindFirstValue(LayeredClaimTypes.Scheme),
            user.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value).ToArray());
    }
}
