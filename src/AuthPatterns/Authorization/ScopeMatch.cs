namespace AuthPatterns.Authorization;

/// <summary>How the scopes of a requirement combine.</summary>
public enum ScopeMatch
{
    /// <summary>Every listed scope is required (the default).</summary>
    All = 0,

    /// <summary>Any one of the listed scopes is enough.</summary>
    Any = 1,
}
