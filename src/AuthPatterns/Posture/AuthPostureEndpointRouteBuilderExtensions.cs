using AuthPatterns.Posture;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the JSON posture report of the application's authentication.</summary>
public static class AuthPostureEndpointRouteBuilderExtensions
{
    /// <summary>Maps the report at <c>/.well-known/authpatterns/posture</c>, requiring the scope <c>authpatterns:admin</c>.</summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <returns>The endpoint, for further conventions.</returns>
    public static IEndpointConventionBuilder MapAuthPosture(this IEndpointRouteBuilder endpoints)
        => endpoints.MapAuthPosture(AuthPostureEndpointOptions.DefaultPattern, configure: null);

    /// <summary>Maps the report at <paramref name="pattern"/>, requiring the scope <c>authpatterns:admin</c>.</summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The route pattern.</param>
    /// <returns>The endpoint, for further conventions.</returns>
    public static IEndpointConventionBuilder MapAuthPosture(this IEndpointRouteBuilder endpoints, string pattern)
        => endpoints.MapAuthPosture(pattern, configure: null);

    /// <summary>Maps the report at <paramref name="pattern"/>, with its scope and loopback access set in code.</summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The route pattern.</param>
    /// <param name="configure">Sets the required scope and whether loopback callers need no credential.</param>
    /// <returns>The endpoint, for further conventions.</returns>
    /// <exception cref="InvalidOperationException">The scope is not a valid scope.</exception>
    public static IEndpointConventionBuilder MapAuthPosture(this IEndpointRouteBuilder endpoints, string pattern, Action<AuthPostureEndpointOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        if (endpoints.ServiceProvider.GetService<IAuthPostureReporter>() is null)
        {
            throw new InvalidOperationException("MapAuthPosture needs the services of AddLayeredAuth(); call builder.Services.AddLayeredAuth() first.");
        }

        var options = new AuthPostureEndpointOptions();
        configure?.Invoke(options);
        options.Validate();

        var builder = endpoints.MapGet(pattern, async (IAuthPostureReporter reporter, HttpContext context) =>
            {
                var report = await reporter.GetReportAsync(context.RequestAborted);
                context.Response.Headers.CacheControl = "no-store";
                return Results.Json(report, AuthPostureReport.JsonTypeInfo);
            })
            .RequireScope(options.Scope)
            .WithDisplayName("Auth posture report")
            .ExcludeFromDescription();
        if (options.AllowLoopback)
        {
            builder.WithMetadata(new AuthPostureLoopbackMetadata());
        }

        return builder;
    }
}
