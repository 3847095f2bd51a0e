namespace AuthPatterns;

/// <summary>
/// What the layered scheme decided for the current request; read it with
/// <c>HttpContext.Features.Get&lt;ILayeredAuthenticationFeature&gt;()</c>.
/// </summary>
public interface ILayeredAuthenticationFeature
{
    /// <summary>The scheme the request's credential was forwarded to, or <see langword="null"/> when it carried none.</summary>
    string? SelectedScheme { get; }

    /// <summary>The schemes whose credentials the request carried.</summary>
    IReadOnlyList<string> PresentedSchemes { get; }

    /// <summary>
    /// Whether the request carried more than one credential (of two schemes, two of one scheme, or two
    /// <c>Authorization</c> headers) and was therefore refused.
    /// </summary>
    bool IsAmbiguous { get; }

    /// <summary>Whether the selected scheme is one the endpoint does not accept.</summary>
    bool SchemeNotAllowed { get; }
}

internal sealed class LayeredAuthenticationFeature : ILayeredAuthenticationFeature
{
    public string? SelectedScheme { get; init; }

    public IReadOnlyList<string> PresentedSchemes { get; init; } = [];

    public bool IsAmbiguous { get; init; }

    public bool SchemeNotAllowed { get; init; }
}
