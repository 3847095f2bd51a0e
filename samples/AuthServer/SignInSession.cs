using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer;

/// <summary>The server's own sign-in session: its cookie, its pages, and where a user may be sent back to.</summary>
internal static class SignInSession
{
    public const string CookieName = "authserver_session";
    public const string SignInPath = "/account/signin";
    public const string SignOutPath = "/account/signout";

    /// <summary>
    /// The return URL to follow after signing in: a path of this server, or an absolute http(s) URL whose host is one of
    /// <see cref="AuthServerSettings.AllowedReturnHosts"/>. Anything else (another host, <c>//evil</c>, <c>/\evil</c>,
    /// <c>javascript:</c>) becomes <c>/</c>, so the sign-in page is never an open redirect.
    /// </summary>
    public static string SafeReturnUrl(string? returnUrl, AuthServerSettings settings)
    {
        if (string.IsNullOrEmpty(returnUrl))
        {
            return "/";
        }

        if (returnUrl[0] == '/')
        {
            return returnUrl.Length > 1 && (returnUrl[1] == '/' || returnUrl[1] == '\\') ? "/" : returnUrl;
        }

        return Uri.TryCreate(returnUrl, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && string.IsNullOrEmpty(uri.UserInfo)
            && settings.AllowedReturnHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase)
            ? uri.AbsoluteUri
            : "/";
    }

    /// <summary>The user behind a session, with the claims every token and the forward-auth answer describe them by.</summary>
    public static async Task<(IdentityUser User, IList<Claim> Claims)?> FindUserAsync(ClaimsPrincipal session, UserManager<IdentityUser> users)
    {
        var user = await users.GetUserAsync(session);
        if (user is null)
        {
            return null;
        }

        return (user, await users.GetClaimsAsync(user));
    }

    public static string DisplayName(IdentityUser user, IList<Claim> claims) =>
        claims.FirstOrDefault(c => c.Type == Claims.Name)?.Value ?? user.UserName!;

    public static IEnumerable<string> Groups(IList<Claim> claims) =>
        claims.Where(c => c.Type == SeedData.GroupClaim).Select(c => c.Value);
}
