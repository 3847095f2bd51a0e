using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Issuing;

/// <summary>
/// Runs <see cref="ServiceTokenHandlerOptions.Validate"/> for every client's named options, and refuses a token
/// endpoint that would receive the client secret in clear, so these mistakes fail at startup.
/// </summary>
internal sealed class ValidateServiceTokenHandlerOptions : IValidateOptions<ServiceTokenHandlerOptions>
{
    private readonly IServiceProvider _services;

    public ValidateServiceTokenHandlerOptions(IServiceProvider services) => _services = services;

    public ValidateOptionsResult Validate(string? name, ServiceTokenHandlerOptions options)
    {
        try
        {
            options.Validate();
            options.ValidateTransport(_services.GetService<IHostEnvironment>()?.IsDevelopment() == true);
            if (options.TokenEndpoint is null && _services.GetService<IServiceProviderIsService>()?.IsService(typeof(IServiceTokenIssuer)) == false)
            {
                return ValidateOptionsResult.Fail(
                    $"ServiceTokenHandlerOptions.TokenEndpoint is not set for the HttpClient '{name}', so its tokens come from the local issuer: call services.AddServiceTokenIssuer().");
            }

            return ValidateOptionsResult.Success;
        }
        catch (InvalidOperationException exception)
        {
            return ValidateOptionsResult.Fail($"{exception.Message} (HttpClient '{name}')");
        }
    }
}
