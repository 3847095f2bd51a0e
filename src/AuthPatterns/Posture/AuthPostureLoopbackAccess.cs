using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;

namespace AuthPatterns.Posture;

/// <summary>Marks the posture endpoint mapped with <see cref="AuthPostureEndpointOptions.AllowLoopback"/>.</summary>
internal sealed class AuthPostureLoopbackMetadata;

/// <summary>
/// Lets a loopback caller through every requirement of an endpoint marked with <see cref="AuthPostureLoopbackMetadata"/>,
/// and of no other endpoint. The address is the connection's, so an <c>X-Forwarded-For</c> header counts only where the
/// application's forwarded-headers middleware trusts its sender. A request that came through a proxy is never let
/// through: a reverse proxy on the same machine connects from loopback on behalf of every outside caller, so any
/// forwarding header (or the <c>X-Original-*</c> ones the forwarded-headers middleware leaves after rewriting the
/// address) turns the rule off for that request.
/// </summary>
internal sealed class AuthPostureLoopbackHandler : IAuthorizationHandler
{
    private static readonly string[] ProxyHeaders =
    [
        ForwardedHeadersDefaults.XForwardedForHeaderName,
        ForwardedHeadersDefaults.XForwardedHostHeaderName,
        ForwardedHeadersDefaults.XForwardedProtoHeaderName,
        ForwardedHeadersDefaults.XForwardedPrefixHeaderName,
        ForwardedHeadersDefaults.XOriginalForHeaderName,
        ForwardedHeadersDefaults.XOriginalHostHeaderName,
        ForwardedHeadersDefaults.XOriginalProtoHeaderName,
        ForwardedHeadersDefaults.XOriginalPrefixHeaderName,
        "Forwarded",
        "X-Real-IP",
    ];

    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        if (context.Resource is HttpContext http
            && http.GetEndpoint()?.Metadata.GetMetadata<AuthPostureLoopbackMetadata>() is not null
            && http.Connection.RemoteIpAddress is { } address
            && IPAddress.IsLoopback(address)
            && !CameThroughProxy(http.Request.Headers))
        {
            foreach (var requirement in context.PendingRequirements.ToList())
            {
                context.Succeed(requirement);
            }
        }

        return Task.CompletedTask;
    }

    private static bool CameThroughProxy(IHeaderDictionary headers)
    {
        foreach (var name in ProxyHeaders)
        {
            if (headers.ContainsKey(name))
            {
                return true;
            }
        }

        return false;
    }
}
