using AuthPatterns;
using AuthPatterns.Issuing;
using AuthPatterns.Posture;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LayeredApi;

/// <summary>
/// Printed on every start, to the console only (never to a log sink): how to call each endpoint with each scheme that is
/// on, how to turn on the ones that are off, and where to get a credential (the demo key on the first start in
/// Development; on later starts, that it exists and the one command that makes another).
/// </summary>
public sealed class SampleGuide(TextWriter output)
{
    /// <summary>The demo key created on this start, shown once; <see langword="null"/> when none was created.</summary>
    internal string? NewDemoKey { get; set; }

    /// <summary>Whether a demo key was made on an earlier start (its secret was shown then and is not stored).</summary>
    internal bool DemoKeyExists { get; set; }

    /// <summary>The tool's <c>--provider</c>/<c>--connection</c> arguments for the sample's key store, secrets left out.</summary>
    internal string KeyStoreArguments { get; set; } = "";

    /// <summary>Writes the guide once the server listens.</summary>
    /// <param name="app">The started application.</param>
    /// <returns>A task.</returns>
    public async Task WriteAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var address = (app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5080").TrimEnd('/');
        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        var text = new StringWriter();
        text.WriteLine();
        text.WriteLine($"LayeredApi listens on {address}. Anonymous: curl {address}/ping");
        text.WriteLine();

        text.WriteLine("API keys (ApiKey): POST /webhooks/events (events:write, keys only), GET /api/profile (profile:read), GET /tenants/acme/invoices (invoices:read, tenant acme)");
        var makeKey = $"dotnet run --project src/AuthPatterns.Tool -- keys create {KeyStoreArguments} --owner partner-1 --tenant acme --scope events:write --scope profile:read --scope invoices:read";
        if (NewDemoKey is not null)
        {
            text.WriteLine("  Demo key (made on this first start; shown once, not stored; scopes events:write profile:read invoices:read, tenant acme):");
            text.WriteLine($"    {NewDemoKey}");
            text.WriteLine($"  curl -i -X POST {address}/webhooks/events -H \"X-API-Key: {NewDemoKey}\"");
            NewDemoKey = null;
        }
        else
        {
            text.WriteLine(DemoKeyExists
                ? "  A demo key exists (made on the first start, shown once then; the store keeps only its hash). Make another, from the repository root:"
                : "  Make a key, from the repository root:");
            text.WriteLine($"    {makeKey}");
            text.WriteLine($"  curl -i -X POST {address}/webhooks/events -H \"X-API-Key: $KEY\"");
        }

        text.WriteLine($"  Manage keys over HTTP: {address}{ApiKeysSample.ManagementPrefix} (a credential with apikeys:manage; apikeys:admin for other owners' keys)");

        text.WriteLine();
        if (await schemes.GetSchemeAsync(LayeredAuthSchemes.Bearer) is null)
        {
            text.WriteLine("Bearer tokens: off, so GET /internal/reports (tokens only) answers 401. Set LayeredAuth:Jwt:JwksUri (or :Authority), :Issuer and :Audience, or run in Development for the development issuer.");
        }
        else
        {
            text.WriteLine("Bearer tokens (Bearer): GET /internal/reports (reports:read, tokens only), GET /api/profile (profile:read)");
            if (app.Services.GetService<IServiceTokenIssuer>() is { } issuer)
            {
                var audience = app.Configuration["LayeredAuth:Jwt:Audience"] ?? JwtSample.DefaultAudience;
                var token = await issuer.IssueAsync(new ServiceTokenRequest { Audience = audience, Subject = "dev-caller", Scopes = ["reports:read", "profile:read"] });
                text.WriteLine($"  Development issuer ({DevelopmentSigningKeys.Issuer}), audience '{audience}', JWKS at {address}/.well-known/jwks.json. A token valid until {token.ExpiresAt:u}:");
                text.WriteLine($"    {token.AccessToken}");
                text.WriteLine($"  curl -i {address}/internal/reports -H \"Authorization: Bearer {token.AccessToken}\"");
                text.WriteLine($"  Another: dotnet run --project src/AuthPatterns.Tool -- token mint --audience {audience} --scope reports:read --scope profile:read");
            }
            else
            {
                text.WriteLine($"  curl -i {address}/internal/reports -H \"Authorization: Bearer $TOKEN\"   (a token from your issuer)");
            }
        }

        text.WriteLine();
        text.WriteLine(await schemes.GetSchemeAsync(LayeredAuthSchemes.ForwardAuth) is null
            ? "Portal cookies: off. Set LayeredAuth:ForwardAuth:VerifyUrl (Authelia, oauth2-proxy; see samples/LayeredApi/README.md); GET /app/dashboard is mapped then."
            : $"Portal cookies (ForwardAuth): GET /app/dashboard, through the portal in front of {address}; GET /api/profile with profile:read from GroupScopes.");
        text.WriteLine(app.Configuration[ScaleOutSample.RedisConfigurationKey] is null
            ? "Several instances: Redis off, so a key revoked on one instance is refused by the others when their cache entry expires. Set LayeredAuth:Redis:Configuration (and a shared PostgreSQL key store) to broadcast changes."
            : $"Several instances: changes broadcast through Redis; readiness at {address}/healthz/ready.");
        if (app.Environment.IsDevelopment())
        {
            text.WriteLine();
            text.WriteLine($"Dashboard (keys and their usage; scope authpatterns:admin): {address}{SampleHost.DashboardPath}/");
            text.WriteLine(app.Configuration["BrowserLogin:ClientId"] is { Length: > 0 }
                ? $"  Open it in a browser: /login signs you in at the authorization server (the demo user holds authpatterns:admin)."
                : "  Sign in for it with the browser login: run samples/AuthServer and set BrowserLogin:ClientId and :ClientSecret (see samples/LayeredApi/README.md).");
            text.WriteLine($"Posture (each endpoint's schemes and scopes, and the findings): {address}{SampleHost.DashboardPath}{SampleHost.DashboardPosturePath} in the dashboard;");
            text.WriteLine($"  as JSON, open to this machine without a credential: {address}{AuthPostureEndpointOptions.DefaultPattern}; as a table: dotnet run --project src/AuthPatterns.Tool -- posture --url {address}");
            text.WriteLine($"OpenAPI document: {address}/openapi/v1.json; try the API in Scalar: {address}/scalar");
        }

        text.WriteLine();
        await output.WriteAsync(text.ToString());
        await output.FlushAsync();
    }
}
