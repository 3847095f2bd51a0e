using Microsoft.Extensions.DependencyInjection;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// Marks a feature as registered in a service collection, so a registration that must happen once (a scheme, its
/// validation) is skipped when the application calls the same <c>AddX</c> twice.
/// </summary>
internal static class RegistrationGuard
{
    /// <summary>Marks <typeparamref name="TFeature"/> as registered.</summary>
    /// <returns><see langword="true"/> the first time; <see langword="false"/> when it was already marked.</returns>
    public static bool TryMark<TFeature>(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(Mark<TFeature>))
            {
                return false;
            }
        }

        services.AddSingleton<Mark<TFeature>>();
        return true;
    }

    // One closed type per feature; never resolved, only looked for.
    private sealed class Mark<TFeature>;
}
