using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AuthPatterns.Issuing;

/// <summary>
/// What a client's token handler checks at startup: <see cref="ServiceTokenHandlerOptions.Validate"/>, a token endpoint
/// that would receive the client secret in clear, and a local issuer to take tokens from when no endpoint is set.
/// Every message names the client.
/// </summary>
internal static class ServiceTokenHandlerOptionsValidation
{
    public static void Validate(string name, ServiceTokenHandlerOptions options, IServiceProvider services)
    {
        try
        {
            options.Validate();
            options.ValidateTransport(services.GetService<IHostEnvironment>()?.IsDevelopment() == true);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidOperationException($"{exception.Message} (HttpClient '{name}')", exception);
        }

        if (options.TokenEndpoint is null && services.GetService<IServiceProviderIsService>()?.IsService(typeof(IServiceTokenIssuer)) == false)
        {
            throw new InvalidOperationException(
                $"ServiceTokenHandlerOptions.TokenEndpoint is not set for the HttpClient '{name}', so its tokens come from the local issuer: call services.AddServiceTokenIssuer().");
        }
    }
}
