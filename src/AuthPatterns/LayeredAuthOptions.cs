using Microsoft.AspNetCore.Authentication;

namespace AuthPatterns;

/// <summary>
/// Options of the <see cref="LayeredAuthSchemes.Layered"/> scheme, bound from the <c>LayeredAuth</c> configuration section.
/// </summary>
public sealed class LayeredAuthOptions : AuthenticationSchemeOptions
{
    private readonly List<LayeredCredentialScheme> _credentialSchemes = [];

    /// <summary>Creates the options with no-op events.</summary>
    public LayeredAuthOptions() => Events = new LayeredAuthenticationEvents();

    /// <summary>The events raised before the layered scheme writes a 400, 401 or 403; replace them or set <see cref="AuthenticationSchemeOptions.EventsType"/>.</summary>
    public new LayeredAuthenticationEvents Events
    {
        get => (LayeredAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }

    /// <summary>
    /// The schemes the layered scheme selects from, in the order their credentials are looked for
    /// (API key, then bearer token, then portal cookie for the built-in ones).
    /// </summary>
    public IReadOnlyList<LayeredCredentialScheme> CredentialSchemes => _credentialSchemes;

    /// <summary>
    /// The base of the <c>type</c> URI written in problem-details bodies; the error code is appended.
    /// Defaults to <c>https://authpatterns.dev/errors/</c>.
    /// </summary>
    public Uri ProblemTypeBaseUri { get; set; } = new("https://authpatterns.dev/errors/");

    /// <summary>Adds a scheme to select from; adding a scheme of the same name again replaces it.</summary>
    /// <param name="scheme">The scheme and its credential test.</param>
    public void AddCredentialScheme(LayeredCredentialScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        _credentialSchemes.RemoveAll(existing => string.Equals(existing.Name, scheme.Name, StringComparison.Ordinal));
        _credentialSchemes.Add(scheme);
    }

    /// <summary>Finds a selectable scheme by name.</summary>
    /// <param name="name">The scheme name.</param>
    /// <returns>The scheme, or <see langword="null"/> when none of that name was added.</returns>
    public LayeredCredentialScheme? FindCredentialScheme(string name)
    {
        foreach (var scheme in _credentialSchemes)
        {
            if (string.Equals(scheme.Name, name, StringComparison.Ordinal))
            {
                return scheme;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!ProblemTypeBaseUri.IsAbsoluteUri)
        {
            throw new InvalidOperationException(
                $"LayeredAuth:{nameof(ProblemTypeBaseUri)} must be an absolute URI; '{ProblemTypeBaseUri}' is relative.");
        }
    }
}
