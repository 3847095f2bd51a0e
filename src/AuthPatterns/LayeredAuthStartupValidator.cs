using AuthPatterns.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns;

/// <summary>
/// Fails startup, naming the endpoint, when an endpoint's scope or tenant policy is malformed (an empty scope list
/// never means "allow all", and a configuration key that names the scopes must exist), and warns of an endpoint that allows a scheme no one added.
/// </summary>
/// <remarks>
/// A startup filter rather than a hosted service: endpoints are known only once the pipeline is built, which happens
/// when the server starts, after hosted services have started.
/// </remarks>
internal sealed class LayeredAuthStartupValidator : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        next(app);
        Validate(app.ApplicationServices);
    };

    private static void Validate(IServiceProvider services)
    {
        // Already validated when the host started (see OptionsValidation).
        var options = services.GetRequiredService<IOptionsMonitor<LayeredAuthOptions>>().Get(LayeredAuthSchemes.Layered);

        var logger = services.GetRequiredService<ILogger<LayeredAuthStartupValidator>>();
        var configuration = services.GetService<IConfiguration>();
        var endpoints = services.GetService<EndpointDataSource>();
        if (endpoints is null)
        {
            return;
        }

        foreach (var endpoint in endpoints.Endpoints)
        {
            var name = endpoint.DisplayName ?? endpoint.ToString() ?? "(unnamed endpoint)";
            foreach (var data in endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>())
            {
                if (!ScopePolicyNames.IsLayeredPolicy(data.Policy))
                {
                    continue;
                }

                try
                {
                    _ = ScopePolicyProvider.Build(data.Policy!, configuration);
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                    throw new InvalidOperationException($"Endpoint '{name}' has an invalid authorization policy '{data.Policy}': {ex.Message}", ex);
                }
            }

            var allowed = endpoint.Metadata.GetMetadata<IAllowedSchemesMetadata>();
            if (allowed is null)
            {
                continue;
            }

            foreach (var scheme in allowed.Schemes)
            {
                if (options.FindCredentialScheme(scheme) is null)
                {
                    logger.UnknownAllowedScheme(name, scheme);
                }
            }
        }
    }
}
