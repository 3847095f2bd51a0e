using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.Jwt;

/// <summary>
/// The <c>access_token</c> query parameter, honoured only on endpoints carrying
/// <see cref="IAllowAccessTokenFromQueryMetadata"/>. The token is never logged: only the path of a request whose
/// parameter was ignored.
/// </summary>
internal static class AccessTokenQuery
{
    public const string ParameterName = JwtAuthenticationDefaults.AccessTokenQueryParameter;

    /// <summary>
    /// How many query tokens the request presents on an endpoint that accepts them; 0 anywhere else. Selection passes
    /// <paramref name="logIgnored"/> so an ignored parameter is logged once per request, not again at the challenge.
    /// </summary>
    public static int Count(HttpContext context, bool logIgnored = false)
    {
        if (!context.Request.Query.TryGetValue(ParameterName, out var values) || values.Count == 0)
        {
            return 0;
        }

        if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAccessTokenFromQueryMetadata>() is null)
        {
            if (logIgnored)
            {
                context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("AuthPatterns.Jwt").QueryTokenIgnored(context.Request.Path);
            }

            return 0;
        }

        // An empty value is still a presented (and refused) credential, as an empty "Bearer " header is.
        return values.Count;
    }

    /// <summary>Reads the one query token of a request to an endpoint that accepts it, unless a header carries one.</summary>
    public static bool TryRead(HttpContext context, out string token)
    {
        token = "";
        if (context.Request.Headers.Authorization.Count > 0
            || context.GetEndpoint()?.Metadata.GetMetadata<IAllowAccessTokenFromQueryMetadata>() is null
            || !context.Request.Query.TryGetValue(ParameterName, out var values)
            || values.Count != 1)
        {
            return false;
        }

        token = values[0] ?? "";
        return true;
    }
}
