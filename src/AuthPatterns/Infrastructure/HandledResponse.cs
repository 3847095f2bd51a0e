using Microsoft.AspNetCore.Http;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// Remembers, for one request, that an application's challenge or forbidden event wrote the answer itself
/// (<c>HandleResponse()</c>), so the layered scheme, which asks each scheme in turn, adds neither a challenge nor a body.
/// </summary>
internal static class HandledResponse
{
    private static readonly object Key = new();

    public static void Mark(HttpContext context) => context.Items[Key] = true;

    /// <summary>Whether the answer is already given: marked by an event, or already on its way to the client.</summary>
    public static bool IsGiven(HttpContext context) => context.Response.HasStarted || context.Items.ContainsKey(Key);
}
