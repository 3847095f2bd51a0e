using System.Security.Claims;
using AuthPatterns;
using Microsoft.EntityFrameworkCore;

var builder = WebApplication.CreateBuilder(args);

// ConnectionStrings:Keys in appsettings.json, for example "Data Source=keys.db"; missing or empty fails at startup.
builder.Services.AddDbContext<AppDbContext>(db => db.UseSqlite(builder.Configuration.GetConnectionString("Keys")));
builder.Services.AddLayeredAuth(builder.Configuration.GetSection("LayeredAuth"))
    .AddApiKeys(keys => keys.UseEntityFrameworkCore<AppDbContext>())
    .AddJwt(jwt =>
    {
        jwt.JwksUri = new Uri("https://auth.internal/.well-known/jwks.json");
        jwt.Issuer = "https://auth.internal";
        jwt.Audience = "orders-api";
    })
    .AddForwardAuth(portal =>
    {
        portal.UseAuthelia(new Uri("https://auth.example.com/")).MapGroup("admins", "orders:read", "orders:write");
        portal.AllowedHosts.Add("orders.example.com");
    });

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapPost("/webhooks/events", (ClaimsPrincipal caller) => Results.Accepted())
    .RequireScope("events:write").AllowSchemes(LayeredAuthSchemes.ApiKey);              // API keys only
app.MapGet("/api/profile", (ClaimsPrincipal caller) => caller.FindFirstValue(LayeredClaimTypes.Subject))
    .RequireScope("profile:read");                                                      // any scheme
app.MapGet("/api/orders", () => Results.Ok(Array.Empty<object>()))
    .RequireAnyScope("orders:read", "orders:admin");                                    // any one of them
app.MapGet("/tenants/{tenantId}/invoices", (string tenantId) => Results.Ok(Array.Empty<object>()))
    .RequireScope("invoices:read").RequireTenant("tenantId");                           // the caller's tenant only
app.Run();

// The application's own context: the key tables join its model, and its migrations create them
// (dotnet ef migrations add AddApiKeys).
public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddAuthPatternsApiKeys();
}
