using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;

namespace AuthServer;

/// <summary>
/// An OAuth 2.0 / OpenID Connect authorization server built on OpenIddict, with ASP.NET Core Identity for its users:
/// client credentials for partners and services, authorization code with PKCE (S256) for browsers and apps, rotating
/// refresh tokens, RS256 <c>at+jwt</c> access tokens for one API, revocation and introspection, and an Authelia-style
/// forward-auth endpoint answered from its own sign-in session.
/// </summary>
public static class AuthServerHost
{
    /// <summary>Builds the server, creates its database and seeds its clients and demo user.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--environment</c>, <c>--AuthServer:...</c>).</param>
    /// <returns>The app, endpoints mapped, not started.</returns>
    public static async Task<WebApplication> BuildAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var settings = builder.Configuration.GetSection(AuthServerSettings.Section).Get<AuthServerSettings>() ?? new AuthServerSettings();
        builder.Services.AddSingleton(settings);
        var allowHttp = settings.AllowHttp ?? builder.Environment.IsDevelopment();
        var dataDirectory = Path.GetFullPath(settings.DataDirectory ?? Path.Combine(builder.Environment.ContentRootPath, "App_Data"));
        Directory.CreateDirectory(dataDirectory);

        builder.Services.AddDbContext<AuthServerDbContext>(options =>
        {
            options.UseSqlite(builder.Configuration.GetConnectionString("AuthServer") ?? $"Data Source={Path.Combine(dataDirectory, "authserver.db")}");
            options.UseOpenIddict();
        });

        // Cookies and the antiforgery tokens stay readable after a restart.
        builder.Services.AddDataProtection()
            .SetApplicationName("AuthServer")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "data-protection")));

        builder.Services.AddIdentity<IdentityUser, IdentityRole>(options =>
            {
                // Length over composition rules (NIST SP 800-63B).
                options.Password.RequiredLength = 12;
                options.Password.RequireUppercase = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireDigit = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                options.User.RequireUniqueEmail = false;
            })
            .AddEntityFrameworkStores<AuthServerDbContext>()
            .AddDefaultTokenProviders();
        builder.Services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = SignInSession.CookieName;
            cookie.Cookie.HttpOnly = true;
            // Lax: the session must travel on the top-level navigation back from an app to /connect/authorize.
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = allowHttp ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
            cookie.LoginPath = SignInSession.SignInPath;
            cookie.LogoutPath = SignInSession.SignOutPath;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
        });
        builder.Services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "authserver_antiforgery";
            options.Cookie.SecurePolicy = allowHttp ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        });

        var signingKey = PersistedRsaKey.LoadOrCreate(Path.Combine(dataDirectory, "keys", "signing-key.pem"));
        var encryptionKey = PersistedRsaKey.LoadOrCreate(Path.Combine(dataDirectory, "keys", "encryption-key.pem"));

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<AuthServerDbContext>())
            .AddServer(server =>
            {
                if (settings.Issuer is not null)
                {
                    server.SetIssuer(settings.Issuer);
                }

                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetRevocationEndpointUris("connect/revoke")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .SetUserInfoEndpointUris("connect/userinfo");

                // Client credentials, authorization code with PKCE, refresh tokens (rotated on every use, the default);
                // no implicit, hybrid or password grant.
                server.AllowClientCredentialsFlow()
                    .AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .RequireProofKeyForCodeExchange();
                server.Configure(options =>
                {
                    options.CodeChallengeMethods.Clear();
                    options.CodeChallengeMethods.Add(OpenIddictConstants.CodeChallengeMethods.Sha256);
                });

                server.RegisterScopes([
                    OpenIddictConstants.Scopes.OpenId,
                    OpenIddictConstants.Scopes.Profile,
                    OpenIddictConstants.Scopes.Email,
                    OpenIddictConstants.Scopes.OfflineAccess,
                    .. settings.ApiScopes,
                ]);
                server.RegisterAudiences(settings.Audience);

                // Refresh tokens are handles into the database: short, and revoked there for good.
                server.UseReferenceRefreshTokens();

                server.SetAccessTokenLifetime(TimeSpan.FromMinutes(15))
                    .SetRefreshTokenLifetime(TimeSpan.FromDays(1))
                    .SetAuthorizationCodeLifetime(TimeSpan.FromMinutes(2));

                // Access tokens: signed JWTs (RS256, typ at+jwt) any API can validate against the JWKS; not encrypted.
                server.AddSigningKey(signingKey)
                    .AddEncryptionKey(encryptionKey)
                    .DisableAccessTokenEncryption();

                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough();
                if (allowHttp)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            });

        var app = builder.Build();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AuthServerDbContext>().Database.EnsureCreatedAsync();
            await SeedData.ApplyAsync(scope.ServiceProvider, settings, app.Environment);
        }

        app.Use((context, next) =>
        {
            // Pages with a password form are never framed by another site.
            context.Response.Headers.XFrameOptions = "DENY";
            context.Response.Headers.ContentSecurityPolicy = "frame-ancestors 'none'";
            return next(context);
        });
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAntiforgery();

        app.MapAccountEndpoints();
        app.MapAuthorizationEndpoints();
        app.MapForwardAuthEndpoints();

        if (app.Environment.IsDevelopment())
        {
            app.Lifetime.ApplicationStarted.Register(() => DevelopmentBanner.Print(app, settings));
        }

        return app;
    }
}
