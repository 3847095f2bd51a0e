namespace AuthPatterns.Posture;

/// <summary>One risky choice found in the application's authentication and authorization setup.</summary>
public sealed class AuthPostureFinding
{
    /// <summary>The stable id of the kind of finding, for example <c>AP001</c> (see <see cref="AuthPostureFindingIds"/>).</summary>
    public required string Id { get; init; }

    /// <summary>How much the finding matters.</summary>
    public required AuthPostureSeverity Severity { get; init; }

    /// <summary>
    /// What the finding is about: an endpoint (<c>POST /webhooks/events</c>), a key id, a scope, or an option
    /// (<c>LayeredAuth:Jwt:ClockSkew</c>).
    /// </summary>
    public required string Subject { get; init; }

    /// <summary>One sentence saying why the finding matters.</summary>
    public required string Message { get; init; }
}
