namespace AuthPatterns.Authorization;

/// <summary>
/// Endpoint metadata restricting which layered schemes may authenticate a request to the endpoint.
/// </summary>
public interface IAllowedSchemesMetadata
{
    /// <summary>The scheme names that may authenticate the request.</summary>
    IReadOnlyList<string> Schemes { get; }
}

/// <summary>
/// Restricts an endpoint, controller or action to some of the layered schemes: a credential of any other scheme is
/// treated as no credential at all (401 with the challenges of the allowed schemes), never as a valid caller.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class AllowSchemesAttribute : Attribute, IAllowedSchemesMetadata
{
    /// <summary>Allows only the listed schemes.</summary>
    /// <param name="schemes">Scheme names from <see cref="LayeredAuthSchemes"/>; at least one.</param>
    public AllowSchemesAttribute(params string[] schemes)
    {
        ArgumentNullException.ThrowIfNull(schemes);
        if (schemes.Length == 0 || Array.Exists(schemes, string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("AllowSchemes needs at least one scheme name, none of them empty.", nameof(schemes));
        }

        Schemes = schemes;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; }
}
