using System.Security.Claims;
using AuthPatterns.ApiKeys;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AuthPatterns.Dashboard;

/// <summary>What one dashboard request works with: the caller and its rules, the manager, the store, the clock.</summary>
internal sealed class DashboardContext
{
    private readonly string _prefix;

    public DashboardContext(HttpContext http, string prefix, LayeredAuthDashboardOptions options)
    {
        Http = http;
        _prefix = prefix.TrimEnd('/');
        Options = options;
        Manager = http.RequestServices.GetRequiredService<ApiKeyManager>();
        Store = http.RequestServices.GetRequiredService<IApiKeyStore>();
        Time = http.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;

        // A holder of the dashboard's scope is the management endpoints' admin: every owner's keys (in its tenant, when it
        // has one), and grants only scopes it holds itself.
        Caller = ApiKeyManagementCaller.From(http.User, options.RequiredScope);
        CallerName = http.User.FindFirstValue(LayeredClaimTypes.Name) ?? Caller.Subject ?? "";
    }

    public HttpContext Http { get; }

    public LayeredAuthDashboardOptions Options { get; }

    public ApiKeyManager Manager { get; }

    public IApiKeyStore Store { get; }

    public TimeProvider Time { get; }

    public ApiKeyManagementCaller Caller { get; }

    public string CallerName { get; }

    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>The URL of a dashboard path (<c>/</c>, <c>/usage</c>, <c>/keys/{id}</c>).</summary>
    public string Url(string path) => _prefix + path;

    /// <summary>The URL of a key's page.</summary>
    public string KeyUrl(string keyId) => Url("/keys/" + Uri.EscapeDataString(keyId));

    /// <summary>The keys the caller may see, newest first.</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> VisibleKeysAsync() =>
        [.. (await Manager.ListAsync(tenant: Caller.Tenant, cancellationToken: Aborted)).Where(Caller.CanSee)];

    /// <summary>A key the caller may see, or <see langword="null"/> (also for one outside its bounds).</summary>
    public async Task<ApiKeyInfo?> VisibleKeyAsync(string keyId) =>
        await Manager.GetAsync(keyId, Aborted) is { } key && Caller.CanSee(key) ? key : null;
}
