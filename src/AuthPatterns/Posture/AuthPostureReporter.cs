using AuthPatterns.ApiKeys;
using AuthPatterns.Authorization;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Jwt;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Posture;

/// <summary>
/// Computes the posture report from what the application already declares: endpoint metadata (through the same policy
/// combination the authorization middleware uses), the layered scheme's credential schemes, the schemes' options and
/// the key store.
/// </summary>
internal sealed class AuthPostureReporter : IAuthPostureReporter
{
    internal static readonly TimeSpan LongestShortLivedToken = TimeSpan.FromMinutes(15);
    internal static readonly TimeSpan WidestClockSkew = TimeSpan.FromSeconds(60);
    internal static readonly TimeSpan UnusedFor = TimeSpan.FromDays(90);

    private static readonly string[] WebhookSegments = ["webhook", "webhooks", "hook", "hooks", "callback", "callbacks"];

    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<AuthPostureReporter> _logger;

    public AuthPostureReporter(IServiceProvider services, TimeProvider time, ILogger<AuthPostureReporter> logger)
    {
        _services = services;
        _time = time;
        _logger = logger;
    }

    public async Task<AuthPostureReport> GetReportAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var findings = new List<AuthPostureFinding>();
        var endpoints = await DescribeEndpointsAsync();

        var forwardAuth = await IsRegisteredAsync(LayeredAuthSchemes.ForwardAuth)
            ? _services.GetRequiredService<IOptionsMonitor<ForwardAuthAuthenticationOptions>>().Get(LayeredAuthSchemes.ForwardAuth)
            : null;

        FindUnprotectedEndpoints(endpoints, findings);
        FindSchemeMismatches(endpoints, forwardAuth, findings);
        FindJwtLifetimes(_services.GetService<JwtSchemeRuntime>()?.Options, findings);

        var keys = await ReadKeysAsync(now, findings, cancellationToken);
        FindKeyLifecycles(keys, now, findings);
        FindScopeGaps(endpoints, keys, forwardAuth, findings);

        return new AuthPostureReport
        {
            GeneratedAt = now,
            Endpoints = endpoints,
            Findings = [.. findings.OrderByDescending(f => f.Severity).ThenBy(f => f.Id, StringComparer.Ordinal).ThenBy(f => f.Subject, StringComparer.Ordinal)],
        };
    }

    internal static string Describe(AuthPostureEndpoint endpoint) =>
        endpoint.Methods.Count == 0 ? $"* {endpoint.Route}" : $"{string.Join(',', endpoint.Methods)} {endpoint.Route}";

    private async Task<bool> IsRegisteredAsync(string scheme) =>
        await _services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(scheme) is not null;

    private async Task<List<AuthPostureEndpoint>> DescribeEndpointsAsync()
    {
        var result = new List<AuthPostureEndpoint>();
        var source = _services.GetService<EndpointDataSource>();
        if (source is null)
        {
            return result;
        }

        var policies = _services.GetRequiredService<IAuthorizationPolicyProvider>();
        var schemes = _services.GetRequiredService<IAuthenticationSchemeProvider>();
        var layered = _services.GetRequiredService<IOptionsMonitor<LayeredAuthOptions>>().Get(LayeredAuthSchemes.Layered);
        var defaultScheme = (await schemes.GetDefaultAuthenticateSchemeAsync())?.Name;

        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var metadata = endpoint.Metadata;
            var allowsAnonymous = metadata.GetMetadata<IAllowAnonymous>() is not null;
            AuthorizationPolicy? policy;
            var unknownPolicy = false;
            try
            {
                policy = await AuthorizationPolicy.CombineAsync(
                    policies, metadata.GetOrderedMetadata<IAuthorizeData>(), metadata.GetOrderedMetadata<AuthorizationPolicy>());
            }
            catch (InvalidOperationException)
            {
                // A policy name nobody registered: the authorization middleware refuses every request to it, so it is
                // protected, by nothing the report can describe.
                policy = new AuthorizationPolicyBuilder().RequireAssertion(static _ => false).Build();
                unknownPolicy = true;
            }

            policy ??= await policies.GetFallbackPolicyAsync();
            var isProtected = policy is not null && !allowsAnonymous;

            var requiredScopes = new List<string>();
            var anyOfScopes = new List<IReadOnlyList<string>>();
            string? tenant = null;
            var accepted = new List<string>();
            if (isProtected && !unknownPolicy)
            {
                foreach (var requirement in policy!.Requirements)
                {
                    switch (requirement)
                    {
                        case ScopeRequirement { Match: ScopeMatch.All } all:
                            requiredScopes.AddRange(all.Scopes.Where(s => !requiredScopes.Contains(s, StringComparer.Ordinal)));
                            break;
                        case ScopeRequirement any:
                            anyOfScopes.Add([.. any.Scopes]);
                            break;
                        case TenantRequirement t:
                            tenant = t.RouteValueName;
                            break;
                    }
                }

                var allowed = metadata.GetMetadata<IAllowedSchemesMetadata>()?.Schemes;
                IEnumerable<string> policySchemes = policy.AuthenticationSchemes.Count > 0 ? policy.AuthenticationSchemes : defaultScheme is null ? [] : [defaultScheme];
                foreach (var scheme in policySchemes)
                {
                    IEnumerable<string> names = string.Equals(scheme, LayeredAuthSchemes.Layered, StringComparison.Ordinal)
                        ? layered.CredentialSchemes.Select(s => s.Name).Where(n => allowed is null || allowed.Contains(n, StringComparer.Ordinal))
                        : [scheme];
                    accepted.AddRange(names.Where(n => !accepted.Contains(n, StringComparer.Ordinal)));
                }
            }

            var route = endpoint.RoutePattern.RawText ?? endpoint.DisplayName ?? "";
            result.Add(new AuthPostureEndpoint
            {
                Route = route.StartsWith('/') ? route : "/" + route,
                Methods = [.. (metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Order(StringComparer.Ordinal)],
                DisplayName = endpoint.DisplayName,
                IsProtected = isProtected,
                AllowsAnonymous = allowsAnonymous,
                AcceptedSchemes = accepted,
                RequiredScopes = requiredScopes,
                AnyOfScopes = anyOfScopes,
                TenantRouteValue = tenant,
            });
        }

        result.Sort(static (a, b) =>
        {
            var byRoute = string.CompareOrdinal(a.Route, b.Route);
            return byRoute != 0 ? byRoute : string.CompareOrdinal(string.Join(',', a.Methods), string.Join(',', b.Methods));
        });
        return result;
    }

    // AP001: a forgotten RequireAuthorization() among protected siblings. An explicit AllowAnonymous() is a decision,
    // not an omission, and is not flagged.
    private static void FindUnprotectedEndpoints(List<AuthPostureEndpoint> endpoints, List<AuthPostureFinding> findings)
    {
        var protectedPrefixes = endpoints.Where(e => e.IsProtected).Select(e => RoutePrefix(e.Route)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in endpoints)
        {
            var prefix = RoutePrefix(endpoint.Route);
            if (!endpoint.IsProtected && !endpoint.AllowsAnonymous && prefix.Length > 1 && protectedPrefixes.Contains(prefix))
            {
                findings.Add(new AuthPostureFinding
                {
                    Id = AuthPostureFindingIds.UnprotectedEndpoint,
                    Severity = AuthPostureSeverity.High,
                    Subject = Describe(endpoint),
                    Message = $"This endpoint has no authorization at all while other endpoints under {prefix} are protected; add RequireScope(...) or, if it is public on purpose, AllowAnonymous().",
                });
            }
        }
    }

    private static void FindSchemeMismatches(List<AuthPostureEndpoint> endpoints, ForwardAuthAuthenticationOptions? forwardAuth, List<AuthPostureFinding> findings)
    {
        foreach (var endpoint in endpoints)
        {
            var cookie = endpoint.AcceptedSchemes.Contains(LayeredAuthSchemes.ForwardAuth, StringComparer.Ordinal);
            if (!cookie)
            {
                continue;
            }

            if (forwardAuth is { RequireCsrfDefence: false } && (endpoint.Methods.Count == 0 || endpoint.Methods.Any(ForwardAuthCsrf.IsUnsafe)))
            {
                findings.Add(new AuthPostureFinding
                {
                    Id = AuthPostureFindingIds.CookieWithoutCsrfDefence,
                    Severity = AuthPostureSeverity.High,
                    Subject = Describe(endpoint),
                    Message = "This endpoint changes state on a request the portal cookie authenticates while LayeredAuth:ForwardAuth:RequireCsrfDefence is off, so any site a signed-in person visits can make that request for them.",
                });
            }

            if (endpoint.AcceptedSchemes.Contains(LayeredAuthSchemes.ApiKey, StringComparer.Ordinal))
            {
                findings.Add(new AuthPostureFinding
                {
                    Id = AuthPostureFindingIds.ApiKeyOnUserEndpoint,
                    Severity = AuthPostureSeverity.Warning,
                    Subject = Describe(endpoint),
                    Message = "This endpoint serves people (it accepts the portal cookie) and also API keys, which are meant for servers and webhooks; restrict it with AllowSchemes(...) so a leaked key cannot act as a person would.",
                });
            }

            if (IsWebhookStyle(endpoint.Route))
            {
                findings.Add(new AuthPostureFinding
                {
                    Id = AuthPostureFindingIds.CookieOnWebhookEndpoint,
                    Severity = AuthPostureSeverity.Warning,
                    Subject = Describe(endpoint),
                    Message = "This webhook-style endpoint accepts the portal cookie, which is meant for people in a browser; allow only API keys here with AllowSchemes(LayeredAuthSchemes.ApiKey).",
                });
            }
        }
    }

    private static void FindJwtLifetimes(JwtAuthenticationOptions? jwt, List<AuthPostureFinding> findings)
    {
        if (jwt is null)
        {
            return;
        }

        if (jwt.MaxTokenLifetime is not { } lifetime || lifetime > LongestShortLivedToken)
        {
            findings.Add(new AuthPostureFinding
            {
                Id = AuthPostureFindingIds.LongLivedTokens,
                Severity = AuthPostureSeverity.Warning,
                Subject = "LayeredAuth:Jwt:MaxTokenLifetime",
                Message = jwt.MaxTokenLifetime is null
                    ? "JWT validation accepts tokens of any lifetime; set MaxTokenLifetime to 15 minutes or less so a leaked service token expires on its own."
                    : $"JWT validation accepts tokens living up to {jwt.MaxTokenLifetime.Value}, more than 15 minutes, so a leaked service token stays usable that long.",
            });
        }

        if (jwt.ClockSkew > WidestClockSkew)
        {
            findings.Add(new AuthPostureFinding
            {
                Id = AuthPostureFindingIds.WideClockSkew,
                Severity = AuthPostureSeverity.Warning,
                Subject = "LayeredAuth:Jwt:ClockSkew",
                Message = $"JWT validation tolerates a clock skew of {jwt.ClockSkew}, more than 60 seconds, which keeps every expired token usable that much longer.",
            });
        }
    }

    private async Task<List<ApiKeyRecord>> ReadKeysAsync(DateTimeOffset now, List<AuthPostureFinding> findings, CancellationToken cancellationToken)
    {
        if (!await IsRegisteredAsync(LayeredAuthSchemes.ApiKey) || _services.GetService<IApiKeyStore>() is not { } store)
        {
            return [];
        }

        IReadOnlyList<ApiKeyRecord> all;
        try
        {
            all = await store.ListAsync(cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.PostureKeyStoreUnreadable(ex.GetType().Name);
            findings.Add(new AuthPostureFinding
            {
                Id = AuthPostureFindingIds.KeyStoreUnreadable,
                Severity = AuthPostureSeverity.Warning,
                Subject = "IApiKeyStore",
                Message = "The key store could not be read, so this report has no findings about API keys.",
            });
            return [];
        }

        // Revoked and expired keys grant nothing and need no rotation; only live ones are judged.
        return [.. all.Where(k => k.RevokedAt is null && (k.ExpiresAt is null || k.ExpiresAt > now))];
    }

    private static void FindKeyLifecycles(List<ApiKeyRecord> keys, DateTimeOffset now, List<AuthPostureFinding> findings)
    {
        var rolledFrom = keys.Where(k => k.RolledFromId is not null).Select(k => k.RolledFromId!).ToHashSet(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (key.ExpiresAt is not { } expires)
            {
                findings.Add(new AuthPostureFinding
                {
                    Id = AuthPostureFindingIds.KeyWithoutExpiry,
                    Severity = AuthPostureSeverity.Warning,
                    Subject = $"key {key.Id}",
                    Message = $"The key of {key.OwnerId} never expires, so if it leaks it works until someone notices; give it an expiry and roll it before then.",
                });
            }
            else if (now - key.CreatedAt >= (expires - key.CreatedAt) / 2 && !rolledFrom.Contains(key.Id))
            {
                findings.Add(new AuthPostureFinding
                {
                    Id = AuthPostureFindingIds.KeyWithoutSuccessor,
                    Severity = AuthPostureSeverity.Info,
                    Subject = $"key {key.Id}",
                    Message = $"The key of {key.OwnerId} is past half its lifetime (it expires {expires:yyyy-MM-dd}) and has no successor; roll it so the caller can switch before it stops working.",
                });
            }

            var lastSeen = key.LastUsedAt ?? key.CreatedAt;
            if (now - lastSeen >= UnusedFor)
            {
                findings.Add(new AuthPostureFinding
                {
                    Id = AuthPostureFindingIds.UnusedKey,
                    Severity = AuthPostureSeverity.Warning,
                    Subject = $"key {key.Id}",
                    Message = key.LastUsedAt is null
                        ? $"The key of {key.OwnerId} has not been used in the 90 days since it was created; revoke it if nobody needs it."
                        : $"The key of {key.OwnerId} has not been used for 90 days or more (last {key.LastUsedAt:yyyy-MM-dd}); revoke it if nobody needs it.",
                });
            }
        }
    }

    // AP010 / AP011: a scope granted but required nowhere is dead weight (or a typo); one required but granted nowhere
    // makes its endpoints unreachable, unless a bearer token's issuer, which the report cannot see, grants it.
    private static void FindScopeGaps(List<AuthPostureEndpoint> endpoints, List<ApiKeyRecord> keys, ForwardAuthAuthenticationOptions? forwardAuth, List<AuthPostureFinding> findings)
    {
        var required = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints.Where(e => e.IsProtected))
        {
            var bearer = endpoint.AcceptedSchemes.Contains(LayeredAuthSchemes.Bearer, StringComparer.Ordinal);
            foreach (var scope in endpoint.RequiredScopes.Concat(endpoint.AnyOfScopes.SelectMany(s => s)))
            {
                required[scope] = (required.TryGetValue(scope, out var already) && already) || bearer;
            }
        }

        var granted = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            granted.UnionWith(key.Scopes);
        }

        if (forwardAuth is not null)
        {
            foreach (var scopes in forwardAuth.GroupScopes.Values.Concat(forwardAuth.UserScopes.Values))
            {
                granted.UnionWith(ScopeClaimNormalizer.Split(scopes));
            }
        }

        foreach (var scope in granted.Where(s => !required.ContainsKey(s)))
        {
            findings.Add(new AuthPostureFinding
            {
                Id = AuthPostureFindingIds.ScopeRequiredNowhere,
                Severity = AuthPostureSeverity.Info,
                Subject = $"scope {scope}",
                Message = "This scope is granted to keys or portal groups but no endpoint requires it; it is either a typo of a required scope or a grant nobody needs.",
            });
        }

        foreach (var (scope, bearer) in required.OrderBy(p => p.Key, StringComparer.Ordinal).Where(p => !granted.Contains(p.Key)))
        {
            findings.Add(new AuthPostureFinding
            {
                Id = AuthPostureFindingIds.ScopeGrantedNowhere,
                Severity = bearer ? AuthPostureSeverity.Info : AuthPostureSeverity.Warning,
                Subject = $"scope {scope}",
                Message = bearer
                    ? "Endpoints require this scope but no key, portal group or user is granted it; only a bearer token's issuer can, so check that it does."
                    : "Endpoints require this scope but no key, portal group or user is granted it, so no caller can reach them.",
            });
        }
    }

    // "/api/orders/{id}" -> "/api"; a first segment that is a parameter has no literal prefix.
    internal static string RoutePrefix(string route)
    {
        var trimmed = route.TrimStart('/');
        var end = trimmed.IndexOf('/', StringComparison.Ordinal);
        var first = end < 0 ? trimmed : trimmed[..end];
        return first.Length == 0 || first.Contains('{', StringComparison.Ordinal) ? "/" : "/" + first;
    }

    internal static bool IsWebhookStyle(string route)
    {
        foreach (var segment in route.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in WebhookSegments)
            {
                if (segment.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
