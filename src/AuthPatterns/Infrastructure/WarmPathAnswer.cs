using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// What every scheme's warm path shares: the answer it gave, kept for the request under the scheme's own key, so that the
/// scheme's handler, should it be asked later in the same request (a policy naming the scheme), answers with that same
/// result; and the test that the application asked nothing of the handler beyond its events (no events type, no
/// forwarding), which each warm path completes with its own events.
/// </summary>
internal sealed class WarmPathAnswer
{
    /// <summary>Keeps <paramref name="result"/> as this scheme's answer for the request, and returns it.</summary>
    public AuthenticateResult Keep(HttpContext context, AuthenticateResult result)
    {
        context.Items[this] = result;
        return result;
    }

    /// <summary>This scheme's warm answer for the request, if it gave one.</summary>
    public AuthenticateResult? Of(HttpContext context) =>
        context.Items.TryGetValue(this, out var result) ? result as AuthenticateResult : null;

    /// <summary>No events type and no forwarding: the handler resolves nothing and forwards nowhere.</summary>
    public static bool IsUnforwarded(AuthenticationSchemeOptions options) =>
        options.EventsType is null
        && options.ForwardAuthenticate is null
        && options.ForwardDefault is null
        && options.ForwardDefaultSelector is null;
}
