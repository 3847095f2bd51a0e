using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Authorization;

/// <summary>
/// Serves the scope and tenant policies (<see cref="ScopePolicyNames"/>) and falls back to the default provider for
/// every other policy name. Scope policies authenticate with the <see cref="LayeredAuthSchemes.Layered"/> scheme, so
/// they accept whichever layered scheme authenticated the caller.
/// </summary>
internal sealed class ScopePolicyProvider : IAuthorizationPolicyProvider
{
    private readonly DefaultAuthorizationPolicyProvider _fallback;
    private readonly IConfiguration? _configuration;
    private readonly ConcurrentDictionary<string, AuthorizationPolicy> _policies = new(StringComparer.Ordinal);

    public ScopePolicyProvider(IOptions<AuthorizationOptions> options, IServiceProvider services)
    {
        _fallback = new DefaultAuthorizationPolicyProvider(options);
        _configuration = services.GetService<IConfiguration>();
    }

    /// <summary>
    /// The same name always gives the same policy (scopes from configuration are read once), as the default provider's
    /// do: the authorization middleware may combine an endpoint's policies once and reuse them, where it would otherwise
    /// combine them again on every request.
    /// </summary>
    public bool AllowsCachingPolicies => true;

    public Task<AuthorizationPolicy> GetDefaultPolicyAsync() => _fallback.GetDefaultPolicyAsync();

    public Task<AuthorizationPolicy?> GetFallbackPolicyAsync() => _fallback.GetFallbackPolicyAsync();

    public Task<AuthorizationPolicy?> GetPolicyAsync(string policyName)
    {
        if (!ScopePolicyNames.IsLayeredPolicy(policyName))
        {
            return _fallback.GetPolicyAsync(policyName);
        }

        if (_policies.TryGetValue(policyName, out var cached))
        {
            return Task.FromResult<AuthorizationPolicy?>(cached);
        }

        // Parse throws for an empty or malformed scope list (or a missing configuration key): such a name is a programming error, reported at startup by
        // LayeredAuthStartupValidator and never turned into "allow every authenticated caller".
        var policy = Build(policyName, _configuration);

        // Policy names come from endpoint metadata, a set fixed at startup, so this cache stays bounded.
        return Task.FromResult<AuthorizationPolicy?>(_policies.GetOrAdd(policyName, policy));
    }

    internal static AuthorizationPolicy Build(string policyName, IConfiguration? configuration)
    {
        // Scopes from configuration are read once, when the policy is first built (at startup): a change needs a restart.
        var parsed = ScopePolicyNames.Parse(policyName, configuration);
        var builder = new AuthorizationPolicyBuilder(LayeredAuthSchemes.Layered).RequireAuthenticatedUser();
        if (parsed.Scope is not null)
        {
            builder.AddRequirements(parsed.Scope);
        }

        if (parsed.Tenant is not null)
        {
            builder.AddRequirements(parsed.Tenant);
        }

        return builder.Build();
    }
}
