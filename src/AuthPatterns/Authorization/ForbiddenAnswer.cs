using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.Authorization;

/// <summary>
/// The layered 403: <c>insufficient_scope</c> naming the missing scopes (with the scheme's RFC 6750
/// <c>WWW-Authenticate</c> challenge when it has one), <c>tenant_mismatch</c>, or a plain <c>forbidden</c>.
/// </summary>
internal static class ForbiddenAnswer
{
    /// <param name="context">The request.</param>
    /// <param name="properties">What authorization found missing.</param>
    /// <param name="scheme">The scheme that authenticated the caller, or <see langword="null"/>.</param>
    /// <param name="insufficientScopeChallenge">The scheme's challenge word (<c>Bearer</c>), or <see langword="null"/> for none.</param>
    /// <param name="logger">The forbidding handler's logger.</param>
    public static async Task WriteAsync(
        HttpContext context,
        ScopeForbiddenProperties properties,
        string? scheme,
        string? insufficientScopeChallenge,
        ILogger logger)
    {
        var scopes = properties.RequiredScopes;
        if (scopes is { Count: > 0 })
        {
            var match = properties.Match;
            var scopeList = string.Join(' ', scopes);
            logger.InsufficientScope(scheme ?? "unknown", match == ScopeMatch.All ? "all" : "any", scopeList);
            if (insufficientScopeChallenge is not null && !context.Response.HasStarted)
            {
                context.Response.Headers.WWWAuthenticate =
                    $"{insufficientScopeChallenge} error=\"insufficient_scope\", error_description=\"The token lacks a required scope.\", scope=\"{scopeList}\"";
            }

            await LayeredProblemDetails.WriteAsync(
                context,
                StatusCodes.Status403Forbidden,
                "insufficient_scope",
                "Insufficient scope",
                match == ScopeMatch.All
                    ? $"This endpoint requires all of the scopes: {scopeList}."
                    : $"This endpoint requires one of the scopes: {scopeList}.",
                requiredScopes: scopes);
            return;
        }

        var tenantMismatch = properties.TenantMismatch;
        await LayeredProblemDetails.WriteAsync(
            context,
            StatusCodes.Status403Forbidden,
            tenantMismatch ? "tenant_mismatch" : "forbidden",
            "Forbidden",
            tenantMismatch
                ? "The caller does not belong to the tenant named in the request."
                : "The caller is not allowed to use this endpoint.");
    }
}
