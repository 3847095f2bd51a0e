using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// The one way an options class is checked: its <c>Validate()</c> throws naming the option, this runs it (with any
/// check that needs the application's services) when the host starts, and the throw becomes an
/// <see cref="OptionsValidationException"/> carrying the same message, so a configuration mistake stops the application
/// before the first request.
/// </summary>
internal static class OptionsValidation
{
    /// <summary>
    /// Validates the options named <paramref name="name"/> at startup. Call once per options type and name, before the
    /// scheme is added, so this check runs before the authentication builder's own.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="name">The options name (the scheme, the HttpClient, or <see cref="Options.DefaultName"/>).</param>
    /// <param name="validate">Throws <see cref="InvalidOperationException"/> or <see cref="ArgumentException"/> naming the option.</param>
    public static void ValidateOnStart<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(IServiceCollection services, string name, Action<TOptions, IServiceProvider> validate)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(validate);
        services.AddOptions<TOptions>(name)
            .Validate<IServiceProvider>((options, provider) =>
            {
                Run(name, options, provider, validate);
                return true;
            })
            .ValidateOnStart();
    }

    private static void Run<TOptions>(string name, TOptions options, IServiceProvider provider, Action<TOptions, IServiceProvider> validate)
        where TOptions : class
    {
        try
        {
            validate(options, provider);
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            throw new OptionsValidationException(name, typeof(TOptions), [exception.Message]);
        }
    }
}
