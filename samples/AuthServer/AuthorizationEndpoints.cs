using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer;

/// <summary>
/// The endpoints OpenIddict passes through after validating the request (client, redirect URI, PKCE, grant, scopes):
/// here the server decides who the token is about and what goes into it.
/// </summary>
internal static class AuthorizationEndpoints
{
    private const string Server = OpenIddictServerAspNetCoreDefaults.AuthenticationScheme;

    public static void MapAuthorizationEndpoints(this WebApplication app)
    {
        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync);
        app.MapPost("/connect/token", TokenAsync);
        app.MapMethods("/connect/endsession", [HttpMethods.Get, HttpMethods.Post], EndSessionAsync);
        app.MapMethods("/connect/userinfo", [HttpMethods.Get, HttpMethods.Post], UserInfoAsync);
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext context, UserManager<IdentityUser> users, AuthServerSettings settings)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");
        var session = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (!session.Succeeded)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "The user is not signed in.");
            }

            // To the sign-in page, then back to this very request.
            var query = context.Request.HasFormContentType ? QueryString.Create(context.Request.Form) : context.Request.QueryString;
            return Results.Challenge(
                new AuthenticationProperties { RedirectUri = context.Request.PathBase + context.Request.Path + query },
                [IdentityConstants.ApplicationScheme]);
        }

        if (await SignInSession.FindUserAsync(session.Principal!, users) is not { } found)
        {
            return Forbid(Errors.LoginRequired, "The user no longer exists.");
        }

        // First-party clients only: consent is implicit (each client's scopes are fixed by its permissions).
        var identity = Identity(found.User, found.Claims, settings, request.GetScopes());
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: Server);
    }

    private static async Task<IResult> TokenAsync(HttpContext context, UserManager<IdentityUser> users, SignInManager<IdentityUser> signIn, IOpenIddictApplicationManager applications, AuthServerSettings settings)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");

        if (request.IsClientCredentialsGrantType())
        {
            // The client is the subject. OpenIddict has checked its secret and that each scope is one it may ask for.
            var application = await applications.FindByClientIdAsync(request.ClientId!)
                ?? throw new InvalidOperationException("The client was validated but cannot be found.");
            var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, request.ClientId);
            identity.SetClaim(Claims.Name, await applications.GetDisplayNameAsync(application));
            identity.SetScopes(request.GetScopes());
            identity.SetResources(settings.Audience);
            identity.SetDestinations(static _ => [Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: Server);
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // The code or refresh token carries the user; the user's current state decides whether it is still good.
            var result = await context.AuthenticateAsync(Server);
            var subject = result.Principal?.GetClaim(Claims.Subject);
            var user = subject is null ? null : await users.FindByNameAsync(subject);
            if (user is null || !await signIn.CanSignInAsync(user) || await users.IsLockedOutAsync(user))
            {
                return Forbid(Errors.InvalidGrant, "The user can no longer sign in.");
            }

            var identity = Identity(user, await users.GetClaimsAsync(user), settings, result.Principal!.GetScopes());
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: Server);
        }

        return Forbid(Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    private static async Task<IResult> EndSessionAsync(SignInManager<IdentityUser> signIn)
    {
        await signIn.SignOutAsync();
        // OpenIddict redirects to the validated post_logout_redirect_uri, or to "/".
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [Server]);
    }

    private static async Task<IResult> UserInfoAsync(HttpContext context, UserManager<IdentityUser> users)
    {
        var result = await context.AuthenticateAsync(Server);
        var subject = result.Principal?.GetClaim(Claims.Subject);
        var user = subject is null ? null : await users.FindByNameAsync(subject);
        if (user is null)
        {
            return Results.Challenge(Properties(Errors.InvalidToken, "The token does not describe a user."), [Server]);
        }

        var claims = await users.GetClaimsAsync(user);
        var scopes = result.Principal!.GetScopes();
        var answer = new Dictionary<string, object> { [Claims.Subject] = user.UserName! };
        if (scopes.Contains(Scopes.Profile))
        {
            answer[Claims.Name] = SignInSession.DisplayName(user, claims);
            answer[Claims.PreferredUsername] = user.UserName!;
        }

        if (scopes.Contains(Scopes.Email) && user.Email is not null)
        {
            answer[Claims.Email] = user.Email;
        }

        return Results.Ok(answer);
    }

    /// <summary>The identity a user's tokens carry: <c>sub</c> is the user name (what the APIs and the forward-auth answer call the user).</summary>
    private static ClaimsIdentity Identity(IdentityUser user, IList<Claim> claims, AuthServerSettings settings, ImmutableArray<string> scopes)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.UserName);
        identity.SetClaim(Claims.Name, SignInSession.DisplayName(user, claims));
        identity.SetClaim(Claims.PreferredUsername, user.UserName);
        identity.SetClaim(Claims.Email, user.Email);
        identity.SetClaims(SeedData.GroupClaim, [.. SignInSession.Groups(claims)]);
        identity.SetScopes(scopes);
        identity.SetResources(settings.Audience);
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Name or Claims.PreferredUsername when scopes.Contains(Scopes.Profile) => [Destinations.AccessToken, Destinations.IdentityToken],
            Claims.Email when scopes.Contains(Scopes.Email) => [Destinations.AccessToken, Destinations.IdentityToken],
            Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
            SeedData.GroupClaim => [Destinations.AccessToken],
            _ => [Destinations.AccessToken],
        });
        return identity;
    }

    private static IResult Forbid(string error, string description) =>
        Results.Forbid(Properties(error, description), [Server]);

    private static AuthenticationProperties Properties(string error, string description) => new(new Dictionary<string, string?>
    {
        [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
        [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
    });
}
