using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AuthServer;

/// <summary>In Development: prints the demo user and ready commands once the server listens.</summary>
internal static class DevelopmentBanner
{
    public static void Print(WebApplication app, AuthServerSettings settings)
    {
        var address = (settings.Issuer?.AbsoluteUri
            ?? app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? "http://localhost:5100").TrimEnd('/');
        var api = settings.ApiBaseUrl.AbsoluteUri.TrimEnd('/');
        var partner = settings.Clients.Partner;
        var demo = settings.DemoUser;
        Console.WriteLine($"""

            AuthServer (Development) at {address}/  discovery: {address}/.well-known/openid-configuration
              Sign in at {address}{SignInSession.SignInPath} as '{demo.UserName}' with password '{demo.Password}'.
              A client-credentials token for the partner client ({string.Join(' ', partner.Scopes)}), then the API with it:
                TOKEN=$(curl -s -d grant_type=client_credentials -d client_id={partner.ClientId} -d client_secret={partner.Secret} -d 'scope={string.Join(' ', partner.Scopes)}' {address}/connect/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
                curl -H "Authorization: Bearer $TOKEN" {api}/internal/reports
              Start the API against this server:
                LayeredAuth__Jwt__Authority={address}/ LayeredAuth__Jwt__Audience={settings.Audience} dotnet run --project samples/LayeredApi

            """);
    }
}
