using AuthPatterns.ForwardAuth;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Http;

/// <summary>Writes and deletes the access-token cookie of the forward-auth token-cookie variant.</summary>
public static class ForwardAuthHttpResponseExtensions
{
    private const int MaxCookieValueLength = 4000;

    /// <summary>
    /// Appends the access token as a <c>__Host-</c> cookie: <c>HttpOnly; Secure; SameSite=Strict; Path=/</c>, no domain,
    /// and a <c>Max-Age</c> that ends no later than the token does.
    /// </summary>
    /// <param name="response">The response.</param>
    /// <param name="accessToken">The access token (a JWT), as obtained after an authorization-code + PKCE login.</param>
    /// <param name="expiresAt">When the token expires (its <c>exp</c>).</param>
    /// <param name="cookieName">The cookie name; must start with <c>__Host-</c>.</param>
    /// <exception cref="ArgumentException">The name lacks the prefix, the token is too large for a cookie, or it has already expired.</exception>
    public static void AppendAccessTokenCookie(
        this HttpResponse response,
        string accessToken,
        DateTimeOffset expiresAt,
        string cookieName = ForwardAuthAuthenticationDefaults.AccessTokenCookieName)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        RequireHostPrefix(cookieName);
        if (accessToken.Length > MaxCookieValueLength)
        {
            throw new ArgumentException($"The access token is longer than {MaxCookieValueLength} characters and does not fit in a cookie.", nameof(accessToken));
        }

        var now = (response.HttpContext.RequestServices?.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        var lifetime = TimeSpan.FromSeconds(Math.Floor((expiresAt - now).TotalSeconds));
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("The access token has already expired.", nameof(expiresAt));
        }

        response.Cookies.Append(cookieName, accessToken, Options(lifetime));
    }

    /// <summary>Deletes the access-token cookie (same attributes, so the browser matches it).</summary>
    /// <param name="response">The response.</param>
    /// <param name="cookieName">The cookie name; must start with <c>__Host-</c>.</param>
    public static void DeleteAccessTokenCookie(this HttpResponse response, string cookieName = ForwardAuthAuthenticationDefaults.AccessTokenCookieName)
    {
        ArgumentNullException.ThrowIfNull(response);
        RequireHostPrefix(cookieName);
        response.Cookies.Delete(cookieName, Options(maxAge: null));
    }

    private static CookieOptions Options(TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        IsEssential = true,
        MaxAge = maxAge,
    };

    private static void RequireHostPrefix(string cookieName)
    {
        if (string.IsNullOrEmpty(cookieName) || !cookieName.StartsWith("__Host-", StringComparison.Ordinal))
        {
            throw new ArgumentException("The access-token cookie name must start with '__Host-'.", nameof(cookieName));
        }
    }
}
