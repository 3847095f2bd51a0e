using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

// Two roles in one small app, both for tests/load/run.sh:
// - the floor: GET /api/ping behind a no-op authentication handler (it returns one fixed principal, doing no work) and
//   the same policy as the sample's /api/ping (RequireAuthorization), so its ratio to /ping is what ASP.NET Core's own
//   authentication and authorization cost;
// - a portal: GET /api/authz/forward-auth answers like Authelia's verify endpoint, 200 with Remote-* headers for the
//   session cookie given in Portal:Session and 401 for any other; GET /portal/calls counts the verify calls, so the
//   flood scenario can report how many reached the portal. Portal:DelayMs makes every unknown session slow.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAuthentication(NoopAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, NoopAuthenticationHandler>(NoopAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorization();

var session = builder.Configuration["Portal:Session"] ?? "load-session-0123456789abcdef";
var delay = TimeSpan.FromMilliseconds(builder.Configuration.GetValue("Portal:DelayMs", 0));
long calls = 0;

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapGet("/ping", () => "pong").AllowAnonymous();
app.MapGet("/api/ping", () => "pong").RequireAuthorization();
app.MapGet("/api/authz/forward-auth", async (HttpContext context) =>
{
    Interlocked.Increment(ref calls);
    if (context.Request.Cookies["authelia_session"] == session)
    {
        context.Response.Headers["Remote-User"] = "load";
        context.Response.Headers["Remote-Groups"] = "admins";
        context.Response.Headers["Remote-Email"] = "load@example.com";
        context.Response.Headers["Remote-Name"] = "Load";
        return Results.Ok();
    }

    if (delay > TimeSpan.Zero)
    {
        await Task.Delay(delay, context.RequestAborted);
    }

    return Results.Unauthorized();
}).AllowAnonymous();
app.MapGet("/portal/calls", () => Interlocked.Read(ref calls).ToString(System.Globalization.CultureInfo.InvariantCulture)).AllowAnonymous();
await app.RunAsync();

/// <summary>The floor: an authentication handler that does no work and returns one fixed principal.</summary>
internal sealed class NoopAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Noop";

    private static readonly ClaimsPrincipal Principal = new(new ClaimsIdentity(
        [new Claim("sub", "load"), new Claim("scope", "orders:read")],
        SchemeName,
        "sub",
        "role"));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Principal, SchemeName)));
}
