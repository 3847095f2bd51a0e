using AuthPatterns;
using AuthPatterns.ForwardAuth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the forward-auth sign-out endpoint.</summary>
public static class ForwardAuthEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c> to sign the user out: it forgets this service's cached answer for the
    /// session (on every instance, when they share Redis through <c>AddRedis()</c>), deletes the token cookie (if one is configured) and redirects to the portal's
    /// <see cref="ForwardAuthAuthenticationOptions.LogoutUrl"/>, where the session itself ends. Without a logout URL it answers 204.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route, for example <c>/signout</c>.</param>
    /// <returns>The endpoint's convention builder.</returns>
    public static IEndpointConventionBuilder MapForwardAuthSignOut(this IEndpointRouteBuilder endpoints, string pattern = "/signout")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);

        return endpoints.MapMethods(pattern, [HttpMethods.Get], SignOutAsync)
            .AllowAnonymous()
            .WithDisplayName("Forward-auth sign-out");
    }

    private static async Task SignOutAsync(HttpContext context)
    {
        const string scheme = LayeredAuthSchemes.ForwardAuth;
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<ForwardAuthAuthenticationOptions>>().Get(scheme);
        if (ForwardAuthCredential.ReadPortalCookies(context.Request, options.CookieName!) is { } cookies)
        {
            await context.RequestServices.GetRequiredService<ForwardAuthSessionVerifier>().ForgetAsync(scheme, options, cookies, context.RequestAborted);
        }

        if (options.TokenCookieName is { } tokenCookie && context.Request.Cookies.ContainsKey(tokenCookie))
        {
            context.Response.DeleteAccessTokenCookie(tokenCookie);
        }

        context.Response.Headers.CacheControl = "no-store";
        if (options.LogoutUrl is null)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        context.Response.Redirect(options.LogoutUrl.AbsoluteUri);
    }
}
