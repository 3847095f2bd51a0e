namespace AuthPatterns.Posture;

/// <summary>How much a posture finding matters, from least to most.</summary>
public enum AuthPostureSeverity
{
    /// <summary>Worth knowing; nothing is exposed by it alone.</summary>
    Info = 0,

    /// <summary>A choice against the decision matrix or a hardening default, to fix or to accept knowingly.</summary>
    Warning = 1,

    /// <summary>A likely hole: a caller can do what the rest of the application says it should not.</summary>
    High = 2,
}
