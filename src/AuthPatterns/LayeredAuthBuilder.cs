using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AuthPatterns;

/// <summary>
/// Returned by <c>AddLayeredAuth()</c>: add the schemes the application accepts with <c>AddApiKeys</c>,
/// <c>AddJwt</c> and <c>AddForwardAuth</c>, or a scheme of your own with <see cref="AddCredentialScheme"/>.
/// </summary>
public sealed class LayeredAuthBuilder
{
    internal LayeredAuthBuilder(IServiceCollection services, AuthenticationBuilder authentication, IConfiguration? configuration)
    {
        Services = services;
        Authentication = authentication;
        Configuration = configuration;
    }

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The authentication builder the schemes are registered on.</summary>
    public AuthenticationBuilder Authentication { get; }

    /// <summary>The <c>LayeredAuth</c> configuration section, when one was given; the schemes bind their sub-sections from it.</summary>
    public IConfiguration? Configuration { get; }

    /// <summary>
    /// Makes an already registered authentication scheme selectable by the layered scheme. The built-in verbs call this;
    /// applications call it for a scheme of their own.
    /// </summary>
    /// <param name="scheme">The scheme and the test that tells whether a request carries its credential.</param>
    /// <returns>This builder.</returns>
    public LayeredAuthBuilder AddCredentialScheme(LayeredCredentialScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        Services.Configure<LayeredAuthOptions>(LayeredAuthSchemes.Layered, options => options.AddCredentialScheme(scheme));
        return this;
    }

    /// <summary>Gets the configuration sub-section of a scheme (<c>ApiKeys</c>, <c>Jwt</c>, <c>ForwardAuth</c>), if any.</summary>
    /// <param name="name">The sub-section name.</param>
    /// <returns>The section, or <see langword="null"/> when no configuration was given.</returns>
    public IConfigurationSection? GetSection(string name) => Configuration?.GetSection(name);
}
