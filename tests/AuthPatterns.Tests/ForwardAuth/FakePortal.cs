using System.Collections.Concurrent;
using System.Net;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>
/// A portal user: the session is known; <see cref="Denied"/> makes the portal's access rules refuse them everywhere,
/// <see cref="DeniedHosts"/> only for requests to those hosts (a per-domain rule).
/// </summary>
internal sealed record PortalUser(string User, string Name, string Email, string[] Groups, bool Denied = false, string[]? DeniedHosts = null);

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, port 0) that answers the verify endpoints as the portals document them:
/// Authelia's <c>/api/authz/forward-auth</c> and oauth2-proxy's <c>/oauth2/auth</c>. It records every call.
/// </summary>
internal sealed class FakePortal : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;
    private int _inFlight;
    private int _maxInFlight;

    private FakePortal(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUrl { get; private set; } = null!;

    public Uri AutheliaVerifyUrl => new(BaseUrl, "api/authz/forward-auth");

    public Uri OAuth2ProxyVerifyUrl => new(BaseUrl, "oauth2/auth");

    /// <summary>Sessions by cookie value.</summary>
    public ConcurrentDictionary<string, PortalUser> Sessions { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<Dictionary<string, string>> Received { get; } = new();

    public int Calls => Volatile.Read(ref _calls);

    public int InFlight => Volatile.Read(ref _inFlight);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>When set, every call waits for it before answering: a slow portal.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>When set, every call answers this status (a broken portal).</summary>
    public int? ForcedStatus { get; set; }

    /// <summary>Released once per call as it arrives.</summary>
    public SemaphoreSlim Arrivals { get; } = new(0);

    public static async Task<FakePortal> StartAsync()
    {
        FakePortal? portal = null;
        var app = await TestHost.CreateOnLoopback()
            .Map(app =>
            {
                portal = new FakePortal(app);
                app.MapGet("/api/authz/forward-auth", portal.AutheliaAsync);
                app.MapGet("/oauth2/auth", portal.OAuth2ProxyAsync);
            })
            .StartAsync();
        portal!.BaseUrl = TestHost.Address(app);
        return portal;
    }

    public void Add(string cookie, PortalUser user) => Sessions[cookie] = user;

    public async ValueTask DisposeAsync()
    {
        Gate?.TrySetResult();
        await _app.DisposeAsync();
        Arrivals.Dispose();
    }

    // Authelia, docs/content/reference/guides/proxy-authorization.md and internal/handlers/handler_authz*.go:
    // X-Forwarded-Method/Proto/Host/URI required; 200 with Remote-* headers; unauthenticated: 302 (GET/HEAD/OPTIONS) or
    // 303 for browsers, 401 for XHR or when text/html is not accepted; 401 for a non-https target; 403 when denied.
    private async Task AutheliaAsync(HttpContext context)
    {
        await EnterAsync(context);
        try
        {
            if (await ForcedOrSlowAsync(context))
            {
                return;
            }

            var request = context.Request;
            string[] required = ["X-Forwarded-Method", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri"];
            if (required.Any(h => string.IsNullOrEmpty(request.Headers[h])))
            {
                context.Response.StatusCode = 400;
                return;
            }

            if (request.Headers["X-Forwarded-Proto"] != "https")
            {
                context.Response.StatusCode = 401;
                return;
            }

            if (!request.Cookies.TryGetValue("authelia_session", out var cookie) || !Sessions.TryGetValue(cookie, out var user))
            {
                var accept = request.Headers.Accept.ToString();
                var method = request.Headers["X-Forwarded-Method"].ToString();
                if (accept.Contains("text/html", StringComparison.Ordinal) && request.Headers.XRequestedWith != "XMLHttpRequest")
                {
                    context.Response.StatusCode = method is "GET" or "HEAD" or "OPTIONS" ? 302 : 303;
                    context.Response.Headers.Location = $"{BaseUrl}?rd=x";
                    return;
                }

                context.Response.StatusCode = 401;
                return;
            }

            if (user.Denied || user.DeniedHosts?.Contains(request.Headers["X-Forwarded-Host"].ToString(), StringComparer.OrdinalIgnoreCase) == true)
            {
                context.Response.StatusCode = 403;
                return;
            }

            context.Response.StatusCode = 200;
            context.Response.Headers["Remote-User"] = user.User;
            context.Response.Headers["Remote-Groups"] = string.Join(',', user.Groups);
            context.Response.Headers["Remote-Name"] = user.Name;
            context.Response.Headers["Remote-Email"] = user.Email;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    // oauth2-proxy, oauthproxy.go AuthOnly and docs/docs/features/endpoints.md: 202 with X-Auth-Request-* (with
    // --set-xauthrequest), 401 without a session, 403 when allowed_groups does not match. Large cookies come split
    // into _oauth2_proxy_0, _1...
    private async Task OAuth2ProxyAsync(HttpContext context)
    {
        await EnterAsync(context);
        try
        {
            if (await ForcedOrSlowAsync(context))
            {
                return;
            }

            var cookies = context.Request.Cookies;
            var cookie = cookies["_oauth2_proxy"];
            if (cookie is null && cookies.ContainsKey("_oauth2_proxy_0"))
            {
                cookie = string.Concat(Enumerable.Range(0, 10).Select(i => cookies[$"_oauth2_proxy_{i}"] ?? string.Empty));
            }

            if (cookie is null || !Sessions.TryGetValue(cookie, out var user))
            {
                context.Response.StatusCode = 401;
                return;
            }

            var allowedGroups = context.Request.Query["allowed_groups"].ToString();
            if (allowedGroups.Length > 0 && !allowedGroups.Split(',').Intersect(user.Groups).Any())
            {
                context.Response.StatusCode = 403;
                return;
            }

            context.Response.StatusCode = 202;
            context.Response.Headers["X-Auth-Request-User"] = user.User;
            context.Response.Headers["X-Auth-Request-Email"] = user.Email;
            context.Response.Headers["X-Auth-Request-Groups"] = string.Join(',', user.Groups);
            context.Response.Headers["X-Auth-Request-Preferred-Username"] = user.Name;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private Task EnterAsync(HttpContext context)
    {
        Interlocked.Increment(ref _calls);
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        Received.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        Arrivals.Release();
        return Task.CompletedTask;
    }

    private async Task<bool> ForcedOrSlowAsync(HttpContext context)
    {
        if (Gate is { } gate)
        {
            await gate.Task;
        }

        if (ForcedStatus is { } status)
        {
            context.Response.StatusCode = status;
            return true;
        }

        return false;
    }
}
