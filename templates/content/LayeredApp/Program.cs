using System.Security.Claims;
using AuthPatterns;
using AuthPatterns.Issuing;
using LayeredApp;
using Microsoft.EntityFrameworkCore;

var builder = WebApplication.CreateBuilder(args);

// API keys live in the app's own database; its tables come from the migrations in Migrations/.
var keys = builder.Configuration.GetConnectionString("Keys");
if (string.IsNullOrWhiteSpace(keys))
{
    throw new InvalidOperationException("ConnectionStrings:Keys is missing or empty: the API-key store needs a database (see appsettings.json).");
}

#if (UseSqlite)
builder.Services.AddDbContext<KeysDbContext>(db => db.UseSqlite(keys));
#else
builder.Services.AddDbContext<KeysDbContext>(db => db.UseNpgsql(keys));
#endif

// One call, three schemes; each reads its own section of "LayeredAuth" in appsettings.json.
var auth = builder.Services.AddLayeredAuth(builder.Configuration.GetSection("LayeredAuth"))
    .AddApiKeys(apiKeys => apiKeys.UseEntityFrameworkCore<KeysDbContext>());

// Bearer tokens: from your identity provider when LayeredAuth:Jwt names its keys; in Development without one, from the
// development key ring that `authpatterns token mint` signs with.
var jwt = builder.Configuration.GetSection("LayeredAuth:Jwt");
if (!string.IsNullOrEmpty(jwt["JwksUri"]) || !string.IsNullOrEmpty(jwt["Authority"]) || !string.IsNullOrEmpty(jwt["MetadataAddress"]))
{
    auth.AddJwt();
}
else if (builder.Environment.IsDevelopment())
{
    builder.Services.AddSigningKeyRing(ring => DevelopmentSigningKeys.Configure(ring));
    auth.AddJwt(options =>
    {
        options.UseLocalSigningKeys = true;
        options.Issuer = DevelopmentSigningKeys.Issuer;
    });
}

// Portal cookies (Authelia, oauth2-proxy): off until LayeredAuth:ForwardAuth:VerifyUrl names the portal's verify endpoint.
if (!string.IsNullOrEmpty(builder.Configuration["LayeredAuth:ForwardAuth:VerifyUrl"]))
{
    auth.AddForwardAuth();
}

builder.Services.AddProblemDetails();

var app = builder.Build();

if (app.Environment.IsDevelopment())
{
    // Production applies migrations as a deployment step (`dotnet ef database update` or a migration bundle).
    await using var scope = app.Services.CreateAsyncScope();
    await scope.ServiceProvider.GetRequiredService<KeysDbContext>().Database.MigrateAsync();
}

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/healthz", () => Results.Ok(new { status = "healthy" })).AllowAnonymous();

// Any scheme, with the scope profile:read.
app.MapGet("/api/me", (ClaimsPrincipal user) => Results.Ok(new
{
    subject = user.FindFirstValue(LayeredClaimTypes.Subject),
    scheme = user.FindFirstValue(LayeredClaimTypes.Scheme),
    scopes = user.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value),
}))
    .RequireScope("profile:read");

// API keys only, with the scope events:write.
app.MapPost("/webhooks/events", (ClaimsPrincipal user) => Results.Accepted(value: new { received = true, keyId = user.FindFirstValue(LayeredClaimTypes.KeyId) }))
    .RequireScope("events:write")
    .AllowSchemes(LayeredAuthSchemes.ApiKey);

app.Run();
