using AuthPatterns.Authorization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace AuthPatterns.OpenApi;

/// <summary>
/// On each operation that requires authorization: one security requirement per accepted scheme (OpenAPI's "any one
/// of"), each listing the scopes the endpoint requires (an any-of scope list becomes one requirement per scope), and
/// the 401 and 403 problem-details answers. Operations that allow anonymous callers are left as they are.
/// </summary>
internal sealed class LayeredAuthOperationTransformer : IOpenApiOperationTransformer
{
    private const string ProblemContentType = "application/problem+json";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }

        var services = context.ApplicationServices;
        var policy = await ResolvePolicyAsync(services, metadata);
        if (policy is null)
        {
            return;
        }

        var schemes = AcceptedSchemes(services, metadata, policy);
        if (schemes.Count == 0)
        {
            return;
        }

        operation.Security ??= [];
        foreach (var scopes in ScopeAlternatives(policy))
        {
            foreach (var scheme in schemes)
            {
                operation.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [.. scopes],
                });
            }
        }

        var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), parameterDescription: null, cancellationToken);
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", Problem("Unauthorized: no credential, or one that was not accepted. The WWW-Authenticate header names each accepted scheme.", problem));
        if (policy.Requirements.Any(r => r is not DenyAnonymousAuthorizationRequirement))
        {
            operation.Responses.TryAdd("403", Problem("Forbidden: the caller lacks a required scope or belongs to another tenant.", problem));
        }
    }

    private static async Task<AuthorizationPolicy?> ResolvePolicyAsync(IServiceProvider services, IList<object> metadata)
    {
        var provider = services.GetService<IAuthorizationPolicyProvider>();
        if (provider is null)
        {
            return null;
        }

        var authorizeData = metadata.OfType<IAuthorizeData>().ToArray();
        var policies = metadata.OfType<AuthorizationPolicy>().ToArray();
        if (authorizeData.Length == 0 && policies.Length == 0)
        {
            // No [Authorize] on the endpoint: it is protected only if the application set a fallback policy.
            return await provider.GetFallbackPolicyAsync();
        }

        return await AuthorizationPolicy.CombineAsync(provider, authorizeData, policies);
    }

    private static List<string> AcceptedSchemes(IServiceProvider services, IList<object> metadata, AuthorizationPolicy policy)
    {
        IEnumerable<string> accepted = LayeredAuthSecuritySchemes.Added(services);

        // A policy naming its own schemes (not the layered one) accepts those alone.
        if (policy.AuthenticationSchemes.Count > 0 && !policy.AuthenticationSchemes.Contains(LayeredAuthSchemes.Layered, StringComparer.Ordinal))
        {
            accepted = accepted.Intersect(policy.AuthenticationSchemes, StringComparer.Ordinal);
        }

        if (metadata.OfType<IAllowedSchemesMetadata>().LastOrDefault() is { } allowed)
        {
            accepted = accepted.Intersect(allowed.Schemes, StringComparer.Ordinal);
        }

        // Only schemes declared in the document can be referenced: built-in ones, or ones the application declared itself.
        return accepted.Where(name => LayeredAuthSecuritySchemes.Create(services, name) is not null).ToList();
    }

    /// <summary>
    /// The scope sets that each satisfy the policy: the all-of scopes, combined with one scope of each any-of list.
    /// </summary>
    private static List<List<string>> ScopeAlternatives(AuthorizationPolicy policy)
    {
        var all = new List<string>();
        var alternatives = new List<List<string>> { all };
        foreach (var requirement in policy.Requirements.OfType<ScopeRequirement>())
        {
            if (requirement.Match == ScopeMatch.All)
            {
                foreach (var scope in requirement.Scopes)
                {
                    foreach (var alternative in alternatives.Where(a => !a.Contains(scope, StringComparer.Ordinal)))
                    {
                        alternative.Add(scope);
                    }
                }

                continue;
            }

            alternatives = [.. alternatives.SelectMany(a => requirement.Scopes.Select(scope => a.Contains(scope, StringComparer.Ordinal) ? a : [.. a, scope]))];
        }

        return alternatives;
    }

    private static OpenApiResponse Problem(string description, OpenApiSchema schema) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
        {
            [ProblemContentType] = new OpenApiMediaType { Schema = schema },
        },
    };
}
