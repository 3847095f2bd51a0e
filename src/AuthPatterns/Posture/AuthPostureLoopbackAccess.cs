using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.Posture;

/// <summary>Marks the posture endpoint mapped with <see cref="AuthPostureEndpointOptions.AllowLoopback"/>.</summary>
internal sealed class AuthPostureLoopbackMetadata;

/// <summary>
/// Lets a loopback caller through every requirement of an endpoint marked with <see cref="AuthPostureLoopbackMetadata"/>,
/// and of no other endpoint. The address is the connection's, so an <c>X-Forwarded-For</c> header counts only where the
/// application's forwarded-headers middleware trusts its sender.
/// </summary>
internal sealed class AuthPostureLoopbackHandler : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        if (context.Resource is HttpContext http
            && http.GetEndpoint()?.Metadata.GetMetadata<AuthPostureLoopbackMetadata>() is not null
            && http.Connection.RemoteIpAddress is { } address
            && IPAddress.IsLoopback(address))
        {
            foreach (var requirement in context.PendingRequirements.ToList())
            {
                context.Succeed(requirement);
            }
        }

        return Task.CompletedTask;
    }
}
