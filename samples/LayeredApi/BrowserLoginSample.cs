using System.Security.Cryptography;
using AuthPatterns;
using AuthPatterns.ForwardAuth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace LayeredApi;

/// <summary>
/// Browser login into an httpOnly cookie: <c>/login</c> runs authorization code + PKCE against the authorization server
/// with ASP.NET Core's OpenID Connect handler, then keeps the access token in the <c>__Host-access_token</c> cookie
/// (HttpOnly, Secure, SameSite=Strict, Path=/, expiring with the token), which the forward-auth scheme's token-cookie
/// variant validates like a bearer token. The refresh token stays in a second <c>__Host-</c> cookie, encrypted with
/// data protection, only so that <c>/logout</c> can revoke it. No token reaches the browser's JavaScript or a URL.
/// Configured from <c>BrowserLogin</c> (<c>ClientId</c>, <c>ClientSecret</c>, <c>AppUrl</c>, <c>Scopes</c>; the
/// authority is <c>LayeredAuth:Jwt:Authority</c> unless <c>BrowserLogin:Authority</c> is set); off without them.
/// </summary>
public static partial class BrowserLoginSample
{
    /// <summary>The OpenID Connect scheme that runs the login.</summary>
    public const string Scheme = "BrowserLogin";

    /// <summary>The cookie holding the encrypted refresh token.</summary>
    public const string RefreshTokenCookieName = "__Host-refresh_token";

    private const string Section = "BrowserLogin";
    private const string ProtectorPurpose = "LayeredApi.BrowserLogin.RefreshToken";

    /// <summary>Adds the OpenID Connect login and the token cookie to the forward-auth scheme, when configured.</summary>
    /// <param name="layered">The layered authentication builder.</param>
    /// <param name="builder">The application builder.</param>
    /// <returns>The layered builder.</returns>
    public static LayeredAuthBuilder AddBrowserLoginSample(this LayeredAuthBuilder layered, WebApplicationBuilder builder)
    {
        if (Settings(builder.Configuration) is not { } settings)
        {
            return layered;
        }

        layered.AddForwardAuth(fa =>
        {
            fa.TokenCookieName ??= ForwardAuthAuthenticationDefaults.AccessTokenCookieName;
            // Browsers that are not signed in go to /login (unless a portal is configured), which comes back to the page.
            fa.PortalUrl ??= new Uri(settings.AppUrl, "/login");
            if (fa.AllowedHosts.Count == 0)
            {
                fa.AllowedHosts.Add(settings.AppUrl.Host);
            }
        });

        var development = builder.Environment.IsDevelopment();
        layered.Authentication.AddOpenIdConnect(Scheme, options =>
        {
            options.Authority = settings.Authority;
            options.RequireHttpsMetadata = !(development && new Uri(settings.Authority).IsLoopback);
            options.ClientId = settings.ClientId;
            options.ClientSecret = settings.ClientSecret;
            options.ResponseType = OpenIdConnectResponseType.Code;
            options.UsePkce = true;
            options.MapInboundClaims = false;
            options.SaveTokens = false;
            options.GetClaimsFromUserInfoEndpoint = false;
            options.Scope.Clear();
            foreach (var scope in (string[])["openid", "profile", "offline_access", .. settings.Scopes])
            {
                options.Scope.Add(scope);
            }

            options.Events.OnTokenValidated = context =>
            {
                var response = context.TokenEndpointResponse;
                if (response?.AccessToken is not { Length: > 0 } accessToken)
                {
                    context.Fail("The token endpoint returned no access token.");
                    return Task.CompletedTask;
                }

                var http = context.HttpContext;
                http.Response.AppendAccessTokenCookie(accessToken, new JsonWebToken(accessToken).ValidTo, ForwardAuthAuthenticationDefaults.AccessTokenCookieName);
                if (response.RefreshToken is { Length: > 0 } refreshToken)
                {
                    var protector = http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(ProtectorPurpose);
                    http.Response.Cookies.Append(RefreshTokenCookieName, protector.Protect(refreshToken), RefreshCookieOptions(TimeSpan.FromDays(1)));
                }

                return Task.CompletedTask;
            };

            // The cookies are the session: no sign-in into another cookie scheme, straight back to the page.
            options.Events.OnTicketReceived = context =>
            {
                context.HandleResponse();
                context.Response.Redirect(context.ReturnUri is { Length: > 0 } uri ? uri : "/");
                return Task.CompletedTask;
            };
        });
        return layered;
    }

    /// <summary>Maps <c>/login</c> and <c>/logout</c>, when configured.</summary>
    /// <param name="app">The app.</param>
    /// <returns>The app.</returns>
    public static WebApplication MapBrowserLoginSample(this WebApplication app)
    {
        if (Settings(app.Configuration) is null)
        {
            return app;
        }

        // rd: where the forward-auth scheme sends a browser that is not signed in. Only this app's own pages.
        app.MapGet("/login", (HttpContext context, string? rd) =>
            Results.Challenge(new AuthenticationProperties { RedirectUri = LocalReturnPath(context.Request, rd) }, [Scheme]))
            .AllowAnonymous();

        app.MapGet("/logout", LogoutAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, IOptionsMonitor<OpenIdConnectOptions> oidc, IDataProtectionProvider dataProtection, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(BrowserLoginSample));
        if (context.Request.Cookies[RefreshTokenCookieName] is { Length: > 0 } protectedToken)
        {
            try
            {
                var refreshToken = dataProtection.CreateProtector(ProtectorPurpose).Unprotect(protectedToken);
                var revoked = await RevokeAsync(oidc.Get(Scheme), refreshToken, context.RequestAborted);
                if (revoked)
                {
                    RefreshTokenRevoked(logger);
                }
                else
                {
                    RefreshTokenNotRevoked(logger);
                }
            }
            catch (CryptographicException)
            {
                RefreshTokenCookieUnreadable(logger);
            }
            catch (HttpRequestException)
            {
                // The session ends here anyway; the token expires at the server.
                AuthorizationServerUnreachable(logger);
            }
        }

        context.Response.DeleteAccessTokenCookie(ForwardAuthAuthenticationDefaults.AccessTokenCookieName);
        context.Response.Cookies.Delete(RefreshTokenCookieName, RefreshCookieOptions(maxAge: null));
        return Results.Content(
            """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><p id="signed-out">Signed out.</p><p><a href="/login">Sign in again</a></p></body></html>""",
            "text/html; charset=utf-8");
    }

    private static async Task<bool> RevokeAsync(OpenIdConnectOptions options, string refreshToken, CancellationToken cancellationToken)
    {
        var configuration = await options.ConfigurationManager!.GetConfigurationAsync(cancellationToken);
        if (configuration.RevocationEndpoint is not { Length: > 0 } revocation)
        {
            return false;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, revocation)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["token"] = refreshToken,
                ["token_type_hint"] = "refresh_token",
                ["client_id"] = options.ClientId!,
                ["client_secret"] = options.ClientSecret ?? "",
            }),
        };
        using var response = await options.Backchannel.SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode;
    }

    /// <summary>A path of this app from <c>rd</c> (a path, or an absolute URL of this very host), else <c>/</c>.</summary>
    private static string LocalReturnPath(HttpRequest request, string? rd)
    {
        if (string.IsNullOrEmpty(rd))
        {
            return "/";
        }

        if (rd[0] == '/')
        {
            return rd.Length > 1 && (rd[1] == '/' || rd[1] == '\\') ? "/" : rd;
        }

        return Uri.TryCreate(rd, UriKind.Absolute, out var uri)
            && uri.Scheme == request.Scheme
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            ? uri.PathAndQuery
            : "/";
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Sign-out: the refresh token was revoked at the authorization server.")]
    private static partial void RefreshTokenRevoked(ILogger logger);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Sign-out: the authorization server has no revocation endpoint or refused to revoke the refresh token.")]
    private static partial void RefreshTokenNotRevoked(ILogger logger);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Sign-out: the refresh-token cookie could not be decrypted; nothing to revoke.")]
    private static partial void RefreshTokenCookieUnreadable(ILogger logger);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning, Message = "Sign-out: the refresh token could not be revoked: the authorization server did not answer.")]
    private static partial void AuthorizationServerUnreachable(ILogger logger);

    private static CookieOptions RefreshCookieOptions(TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        IsEssential = true,
        MaxAge = maxAge,
    };

    private static LoginSettings? Settings(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var authority = section["Authority"] is { Length: > 0 } own ? own : configuration["LayeredAuth:Jwt:Authority"];
        if (string.IsNullOrEmpty(section["ClientId"]) || string.IsNullOrEmpty(authority))
        {
            return null;
        }

        var appUrl = section["AppUrl"] is { Length: > 0 } configured ? configured : "http://localhost:5080/";
        if (!Uri.TryCreate(appUrl, UriKind.Absolute, out var app))
        {
            throw new InvalidOperationException($"{Section}:AppUrl must be an absolute URL (for example https://app.example.com/).");
        }

        var scopes = section.GetSection("Scopes").Get<string[]>() ?? ["profile:read"];
        return new LoginSettings(authority, section["ClientId"]!, section["ClientSecret"], app, scopes);
    }

    private sealed record LoginSettings(string Authority, string ClientId, string? ClientSecret, Uri AppUrl, string[] Scopes);
}
