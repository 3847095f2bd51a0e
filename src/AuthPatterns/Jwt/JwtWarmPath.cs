using System.Security.Claims;
using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Jwt;

/// <summary>
/// The <see cref="LayeredAuthSchemes.Bearer"/> scheme's warm path: a bearer token this instance validated before and still
/// caches is served without creating the stock <c>JwtBearerHandler</c> (and without its per-request copy of the
/// validation parameters). The answer is the handler's own: the same principal read from the cached claims, the same
/// ticket, issued and expiry times. It steps aside, leaving the request to the handler, whenever the handler would do
/// more: an application's <c>JwtBearerEvents</c> to run, a forwarding setting, a token handler of the application's,
/// a token in the query string, or a token that is not cached, not valid any more or revoked.
/// </summary>
internal sealed class JwtWarmPath(JwtSchemeRuntime runtime, IOptionsMonitor<JwtBearerOptions> options)
{
    private const string Prefix = "Bearer ";

    public async ValueTask<AuthenticateResult?> TryAuthenticateAsync(HttpContext context)
    {
        var bearer = options.Get(LayeredAuthSchemes.Bearer);
        if (!PostConfigureJwtBearerOptions.IsPlain(bearer, runtime.TokenHandler)
            || context.Request.Headers.Authorization is not { Count: 1 } authorization
            || authorization[0] is not { } header
            || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header.AsMemory(Prefix.Length).Trim();
        if (await runtime.TokenHandler.TryGetCachedAsync(header, token) is not { } validated)
        {
            return null;
        }

        var principal = new ClaimsPrincipal(validated.Claims.CreateIdentity(LayeredAuthSchemes.Bearer));
        var properties = new AuthenticationProperties
        {
            ExpiresUtc = validated.ExpiresAt,
            IssuedUtc = validated.NotBefore == DateTime.MinValue ? null : validated.NotBefore,
        };
        var result = AuthenticateResult.Success(new AuthenticationTicket(principal, properties, LayeredAuthSchemes.Bearer));

        // Should the stock handler be asked later (a policy naming the Bearer scheme), it answers with this same
        // principal, as it would have had it answered first.
        return Answer.Keep(context, result);
    }

    /// <summary>The warm path's answer for this request, if it gave one.</summary>
    public static AuthenticateResult? AnswerOf(HttpContext context) => Answer.Of(context);

    private static readonly WarmPathAnswer Answer = new();
}
