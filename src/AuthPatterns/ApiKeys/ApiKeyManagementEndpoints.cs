using System.Security.Claims;
using AuthPatterns;
using AuthPatterns.ApiKeys;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Optional HTTP endpoints over <see cref="ApiKeyManager"/>, for applications that let their users manage their own
/// keys. Protected by a scope (<c>apikeys:manage</c> by default). A caller with a <c>tenant</c> claim sees and manages
/// only its tenant's keys, and the keys it creates belong to its tenant.
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

        group.MapGet("/", async (ClaimsPrincipal user, ApiKeyManager manager, string? owner, string? tenant, CancellationToken ct) =>
            Results.Ok(await manager.ListAsync(owner, TenantOf(user) ?? tenant, ct)));

        group.MapGet("/{id}", async (string id, ClaimsPrincipal user, ApiKeyManager manager, CancellationToken ct) =>
            await VisibleAsync(id, user, manager, ct) is { } key ? Results.Ok(key) : Results.NotFound());

        group.MapPost("/", async (ApiKeyCreateBody body, ClaimsPrincipal user, ApiKeyManager manager, HttpContext context, CancellationToken ct) =>
        {
            try
            {
                var created = await manager.CreateAsync(
                    new ApiKeyCreateRequest
                    {
                        OwnerId = body.OwnerId ?? user.FindFirstValue(LayeredClaimTypes.Subject) ?? "",
                        Scopes = body.Scopes ?? [],
                        Tenant = TenantOf(user) ?? body.Tenant,
                        Name = body.Name,
                        Lifetime = body.ExpiresInSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                        AllowedNetworks = body.AllowedNetworks ?? [],
                        IsTest = body.IsTest,
                    },
                    ct);
                context.Response.Headers.CacheControl = "no-store";
                return Results.Created($"{prefix.TrimEnd('/')}/{created.Info.Id}", new { key = created.Key, info = created.Info });
            }
            catch (ArgumentException exception)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid key request", detail: exception.Message);
            }
        });

        group.MapPost("/{id}/revoke", async (string id, ApiKeyRevokeBody? body, ClaimsPrincipal user, ApiKeyManager manager, CancellationToken ct) =>
        {
            if (await VisibleAsync(id, user, manager, ct) is null)
            {
                return Results.NotFound();
            }

            await manager.RevokeAsync(id, body?.Reason is { Length: > 0 } reason ? reason : "revoked through the management API", ct);
            return Results.Ok(await manager.GetAsync(id, ct));
        });

        group.MapPost("/{id}/roll", async (string id, ApiKeyRollBody? body, ClaimsPrincipal user, ApiKeyManager manager, HttpContext context, CancellationToken ct) =>
        {
            if (await VisibleAsync(id, user, manager, ct) is null)
            {
                return Results.NotFound();
            }

            try
            {
                var rolled = await manager.RollAsync(id, TimeSpan.FromSeconds(Math.Max(0, body?.GracePeriodSeconds ?? 86_400)), ct);
                context.Response.Headers.CacheControl = "no-store";
                return Results.Created($"{prefix.TrimEnd('/')}/{rolled!.Info.Id}", new { key = rolled.Key, info = rolled.Info });
            }
            catch (InvalidOperationException exception)
            {
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The key cannot be rolled", detail: exception.Message);
            }
        });

        group.MapPut("/{id}/scopes", (string id, ApiKeyScopesBody body, ClaimsPrincipal user, ApiKeyManager manager, CancellationToken ct) =>
            ChangeAsync(id, user, manager, () => manager.SetScopesAsync(id, body.Scopes ?? [], ct), ct));

        group.MapPut("/{id}/expiry", (string id, ApiKeyExpiryBody body, ClaimsPrincipal user, ApiKeyManager manager, CancellationToken ct) =>
            ChangeAsync(id, user, manager, () => manager.SetExpiryAsync(id, body.ExpiresAt, ct), ct));

        group.MapPut("/{id}/networks", (string id, ApiKeyNetworksBody body, ClaimsPrincipal user, ApiKeyManager manager, CancellationToken ct) =>
            ChangeAsync(id, user, manager, () => manager.SetAllowedNetworksAsync(id, body.AllowedNetworks ?? [], ct), ct));

        return group;
    }

    private static string? TenantOf(ClaimsPrincipal user) => user.FindFirstValue(LayeredClaimTypes.Tenant);

    private static async Task<ApiKeyInfo?> VisibleAsync(string id, ClaimsPrincipal user, ApiKeyManager manager, CancellationToken ct)
    {
        var key = await manager.GetAsync(id, ct);
        var tenant = TenantOf(user);
        return key is not null && (tenant is null || string.Equals(key.Tenant, tenant, StringComparison.Ordinal)) ? key : null;
    }

    private static async Task<IResult> ChangeAsync(string id, ClaimsPrincipal user, ApiKeyManager manager, Func<Task<ApiKeyInfo?>> change, CancellationToken ct)
    {
        if (await VisibleAsync(id, user, manager, ct) is null)
        {
            return Results.NotFound();
        }

        try
        {
            return Results.Ok(await change());
        }
        catch (ArgumentException exception)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid change", detail: exception.Message);
        }
    }
}
