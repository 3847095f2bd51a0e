using AuthPatterns.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns;

/// <summary>
/// Fails startup, naming the endpoint, when an endpoint's scope or tenant policy is malformed (an empty scope list
/// never means "allow all"), and validates the layered options before the first request.
/// </summary>
internal sealed class LayeredAuthStartupValidator : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly ILogger<LayeredAuthStartupValidator> _logger;

    public LayeredAuthStartupValidator(IServiceProvider services, ILogger<LayeredAuthStartupValidator> logger)
    {
        _services = services;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = _services.GetRequiredService<IOptionsMonitor<LayeredAuthOptions>>().Get(LayeredAuthSchemes.Layered);
        options.Validate();

        var endpoints = _services.GetService<EndpointDataSource>();
        if (endpoints is null)
        {
            return Task.CompletedTask;
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
                    _ = ScopePolicyProvider.Build(data.Policy!);
                }
                catch (ArgumentException ex)
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
                    _logger.UnknownAllowedScheme(name, scheme);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
