using System.Security.Claims;
using AuthPatterns;

var builder = WebApplication.CreateBuilder(args);

// One call, three schemes; each scheme reads its own sub-section of "LayeredAuth" (see README.md).
builder.Services.AddLayeredAuth(builder.Configuration.GetSection("LayeredAuth"));

builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/healthz", () => Results.Ok(new { status = "healthy" })).AllowAnonymous();
app.MapGet("/ping", () => "pong").AllowAnonymous();

// The same answer as /ping behind authentication: the pair measures what authentication costs.
app.MapGet("/api/ping", () => "pong").RequireAuthorization();

app.MapGet("/api/profile", (ClaimsPrincipal user) => Results.Ok(Profile.Of(user)))
    .RequireScope("profile:read");

app.MapPost("/webhooks/events", (ClaimsPrincipal user) => Results.Accepted(value: new { received = true, keyId = user.FindFirstValue(LayeredClaimTypes.KeyId) }))
    .RequireScope("events:write")
    .AllowSchemes(LayeredAuthSchemes.ApiKey);

app.MapGet("/internal/reports", (ClaimsPrincipal user) => Results.Ok(new { reports = new[] { "daily", "weekly" }, caller = user.FindFirstValue(LayeredClaimTypes.Subject) }))
    .RequireScope("reports:read")
    .AllowSchemes(LayeredAuthSchemes.Bearer);

app.MapGet("/app/dashboard", (ClaimsPrincipal user) => Results.Ok(new { welcome = user.FindFirstValue(LayeredClaimTypes.Name) ?? user.FindFirstValue(LayeredClaimTypes.Subject) }))
    .RequireAuthorization()
    .AllowSchemes(LayeredAuthSchemes.ForwardAuth);

app.MapGet("/tenants/{tenantId}/invoices", (string tenantId) => Results.Ok(new { tenant = tenantId, invoices = Array.Empty<object>() }))
    .RequireScope("invoices:read")
    .RequireTenant("tenantId");

app.Run();

internal sealed record Profile(string? Subject, string? Scheme, IReadOnlyList<string> Scopes)
{
    public static Profile Of(ClaimsPrincipal user) => new(
        user.FindFirstValue(LayeredClaimTypes.Subject),
        user.FindFirstValue(LayeredClaimTypes.Scheme),
        user.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value).ToArray());
}

/// <summary>Entry point, visible to <c>WebApplicationFactory&lt;Program&gt;</c> in the tests.</summary>
public partial class Program;
