using System.Security.Claims;
using AuthPatterns;
using AuthPatterns.ApiKeys;
using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Optional HTTP endpoints over <see cref="ApiKeyManager"/>, for applications that let their users manage their own
/// keys. Protected by a scope (<c>apikeys:manage</c> by default). A caller grants only scopes it holds itself; a caller
/// with a <c>tenant</c> claim sees and manages only its tenant's keys; and a caller without the admin scope
/// (<see cref="ApiKeyAuthenticationOptions.ManagementAdminScope"/>, <c>apikeys:admin</c> by default) sees and manages only
/// its own keys. A key outside the caller's bounds is answered 404, like a key that does not exist.
/// </summary>
public static class ApiKeyManagementEndpointRouteBuilderExtensions
{
    /// <summary>The scope the management endpoints require by default.</summary>
    public const string DefaultScope = "apikeys:manage";

    /// <summary>
    /// Maps <c>GET {prefix}</c>, <c>GET {prefix}/{id}</c>, <c>POST {prefix}</c>, <c>POST {prefix}/{id}/revoke</c>,
    /// <c>POST {prefix}/{id}/roll</c>, <c>PUT {prefix}/{id}/scopes</c>, <c>PUT {prefix}/{id}/expiry</c> and
    /// <c>PUT {prefix}/{id}/networks</c>, requiring <see cref="DefaultScope"/>.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="prefix">The route prefix, for example <c>/admin/api-keys</c>.</param>
    /// <returns>The group, to add conventions to.</returns>
    public static RouteGroupBuilder MapApiKeyManagement(this IEndpointRouteBuilder endpoints, string prefix) =>
        endpoints.MapApiKeyManagement(prefix, DefaultScope);

    /// <summary>Maps the management endpoints, requiring the given scope.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="prefix">The route prefix.</param>
    /// <param name="requiredScope">The scope a caller needs.</param>
    /// <returns>The group, to add conventions to.</returns>
    public static RouteGroupBuilder MapApiKeyManagement(this IEndpointRouteBuilder endpoints, string prefix, string requiredScope)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(requiredScope);

        var group = endpoints.MapGroup(prefix).RequireScope(requiredScope);

        group.MapGet("/", (ClaimsPrincipal user, HttpContext context, ApiKeyManager manager, string? owner, string? tenant, CancellationToken ct) =>
            RunAsync(async () =>
            {
                var caller = CallerOf(user, context);
                if (!caller.IsAdmin && caller.Subject is null)
                {
                    return Results.Ok(Array.Empty<ApiKeyInfo>());
                }

                var keys = await manager.ListAsync(owner ?? (caller.IsAdmin ? null : caller.Subject), caller.Tenant ?? tenant, ct);
                return Results.Ok(keys.Where(caller.CanSee).ToArray());
            }));

        group.MapGet("/{id}", (string id, ClaimsPrincipal user, HttpContext context, ApiKeyManager manager, CancellationToken ct) =>
            RunAsync(async () => await manager.GetAsync(id, ct) is { } key && CallerOf(user, context).CanSee(key) ? Results.Ok(key) : Results.NotFound()));

        group.MapPost("/", (ApiKeyCreateBody body, ClaimsPrincipal user, ApiKeyManager manager, HttpContext context, CancellationToken ct) =>
            RunAsync(async () =>
            {
                var caller = CallerOf(user, context);
                var owner = body.OwnerId ?? caller.Subject
                    ?? throw new ArgumentException("ownerId is required: the caller has no sub claim to default to.", nameof(body));
                var tenant = body.Tenant ?? caller.Tenant;
                var scopes = ApiKeyManager.CheckScopes(body.Scopes ?? []);
                ApiKeyManager.CheckText(owner, ApiKeyManager.MaxTextLength, "owner id", nameof(body), required: true);
                ApiKeyManager.CheckText(tenant, ApiKeyManager.MaxTextLength, "tenant", nameof(body), required: false);
                var lifetime = body.ExpiresInSeconds is { } seconds ? Seconds(seconds, "expiresInSeconds") : (TimeSpan?)null;

                if (!caller.InTenant(tenant))
                {
                    return Forbidden(caller.Tenant is null
                        ? $"Without the scope '{AdminScopeOf(context)}' a caller without a tenant creates keys without a tenant only."
                        : $"The caller creates keys in its own tenant '{caller.Tenant}' only.");
                }

                if (!caller.IsAdmin && !string.Equals(owner, caller.Subject, StringComparison.Ordinal))
                {
                    return Forbidden($"Without the scope '{AdminScopeOf(context)}' a caller creates keys for itself only (ownerId '{caller.Subject}').");
                }

                if (caller.NotHeld(scopes) is { Count: > 0 } missing)
                {
                    return Forbidden(ApiKeyManagementCaller.NotHeldDetail(missing, "These scopes cannot be granted"));
                }

                var created = await manager.CreateAsync(
                    new ApiKeyCreateRequest
                    {
                        OwnerId = owner,
                        Scopes = scopes,
                        Tenant = tenant,
                        Name = body.Name,
                        Lifetime = lifetime,
                        AllowedNetworks = body.AllowedNetworks ?? [],
                        IsTest = body.IsTest,
                    },
                    ct);
                context.Response.Headers.CacheControl = "no-store";
                return Results.Created($"{prefix.TrimEnd('/')}/{created.Info.Id}", new ApiKeyCreatedBody(created.Key, created.Info));
            }));

        group.MapPost("/{id}/revoke", (string id, ApiKeyRevokeBody? body, ClaimsPrincipal user, ApiKeyManager manager, HttpContext context, CancellationToken ct) =>
            RunAsync(async () =>
            {
                var reason = body?.Reason is { Length: > 0 } given ? given : "revoked through the management API";
                return OkOrNotFound(await manager.RevokeCoreAsync(id, reason, CallerOf(user, context).Guard(mustHoldScopes: false), ct));
            }));

        group.MapPost("/{id}/roll", (string id, ApiKeyRollBody? body, ClaimsPrincipal user, ApiKeyManager manager, HttpContext context, CancellationToken ct) =>
            RunAsync(async () =>
            {
                var grace = Seconds(body?.GracePeriodSeconds ?? 86_400, "gracePeriodSeconds", allowZero: true);
                var rolled = await manager.RollCoreAsync(id, grace, CallerOf(user, context).Guard(mustHoldScopes: true), ct);
                if (rolled is null)
                {
                    return Results.NotFound();
                }

                context.Response.Headers.CacheControl = "no-store";
                return Results.Created($"{prefix.TrimEnd('/')}/{rolled.Info.Id}", new ApiKeyCreatedBody(rolled.Key, rolled.Info));
            }));

        group.MapPut("/{id}/scopes", (string id, ApiKeyScopesBody body, ClaimsPrincipal user, ApiKeyManager manager, HttpContext context, CancellationToken ct) =>
            RunAsync(async () =>
            {
                var caller = CallerOf(user, context);
                var scopes = ApiKeyManager.CheckScopes(body.Scopes ?? []);
                if (caller.NotHeld(scopes) is { Count: > 0 } missing)
                {
                    // Answered before the key is looked up, so it confirms nothing about the id.
                    return Forbidden(ApiKeyManagementCaller.NotHeldDetail(missing, "These scopes cannot be granted"));
                }

                return OkOrNotFound(await manager.SetScopesCoreAsync(id, scopes, caller.Guard(mustHoldScopes: false), ct));
            }));

        group.MapPut("/{id}/expiry", (string id, ApiKeyExpiryBody body, ClaimsPrincipal user, ApiKeyManager manager, HttpContext context, CancellationToken ct) =>
            RunAsync(async () => OkOrNotFound(await manager.SetExpiryCoreAsync(id, body.ExpiresAt, CallerOf(user, context).Guard(mustHoldScopes: true), ct))));

        group.MapPut("/{id}/networks", (string id, ApiKeyNetworksBody body, ClaimsPrincipal user, ApiKeyManager manager, HttpContext context, CancellationToken ct) =>
            RunAsync(async () => OkOrNotFound(await manager.SetAllowedNetworksCoreAsync(id, body.AllowedNetworks ?? [], CallerOf(user, context).Guard(mustHoldScopes: true), ct))));

        return group;
    }

    private static string AdminScopeOf(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptionsMonitor<ApiKeyAuthenticationOptions>>()
            .Get(ApiKeyAuthenticationDefaults.AuthenticationScheme).ManagementAdminScope;

    private static ApiKeyManagementCaller CallerOf(ClaimsPrincipal user, HttpContext context) =>
        ApiKeyManagementCaller.From(user, AdminScopeOf(context));

    private static TimeSpan Seconds(long seconds, string name, bool allowZero = false)
    {
        // TimeSpan.FromSeconds overflows beyond about 29,000 years; the manager bounds lifetimes and grace periods further.
        const long Max = 900_000_000_000;
        if (seconds < 0 || (seconds == 0 && !allowZero) || seconds > Max)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} must be {(allowZero ? "zero or more" : "positive")} and at most {Max}.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static IResult OkOrNotFound(ApiKeyInfo? key) => key is null ? Results.NotFound() : Results.Ok(key);

    private static IResult Forbidden(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed for this caller", detail: detail);

    // One translation of the manager's refusals for every endpoint: invalid input 400, a key hidden from the caller 404
    // (the same answer as no key at all), a refused grant 403, a state that forbids the change (revoked, expired, changed
    // by others too often) 409. Nothing is written in any of these cases. A store that does not answer is 503 with
    // Retry-After, as for a key that cannot be verified: the caller tries again, nothing is confirmed. A change stored but
    // not announced to the other instances is 503, saying so; a roll's new key is in that answer, since it is stored and
    // shown nowhere else.
    private static async Task<IResult> RunAsync(Func<Task<IResult>> work)
    {
        try
        {
            return await work();
        }
        catch (ApiKeyChangeNotBroadcastException notBroadcast)
        {
            var extensions = new Dictionary<string, object?> { ["keyId"] = notBroadcast.KeyId, ["stored"] = true, ["broadcast"] = false };
            if (notBroadcast.RolledKey is { } rolled)
            {
                extensions["key"] = rolled.Key;
                extensions["info"] = rolled.Info;
            }

            return new NoStoreResult(Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Stored but not yet broadcast",
                detail: notBroadcast.Message,
                extensions: extensions));
        }
        catch (ArgumentException exception)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid key request", detail: exception.Message);
        }
        catch (ApiKeyManagementDeniedException denied)
        {
            return denied.Hidden
                ? Results.NotFound()
                : Forbidden(denied.Message);
        }
        catch (ApiKeyStoreUnavailableException exception)
        {
            return new StoreUnavailableResult(exception.Message);
        }
        catch (InvalidOperationException exception)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The key cannot be changed so", detail: exception.Message);
        }
    }

    private sealed class StoreUnavailableResult(string detail) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var retryAfter = httpContext.RequestServices.GetRequiredService<IOptionsMonitor<ApiKeyAuthenticationOptions>>()
                .Get(ApiKeyAuthenticationDefaults.AuthenticationScheme).OverloadRetryAfter;
            LayeredProblemDetails.SetRetryAfter(httpContext.Response, retryAfter);
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The key store is unavailable", detail: detail).ExecuteAsync(httpContext);
        }
    }

    private sealed class NoStoreResult(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.CacheControl = "no-store";
            return inner.ExecuteAsync(httpContext);
        }
    }
}
