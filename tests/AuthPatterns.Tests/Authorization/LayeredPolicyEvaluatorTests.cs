using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.TestHost;

namespace AuthPatterns.Tests.Authorization;

/// <summary>
/// A scope policy is answered with the result <c>UseAuthentication()</c> kept for the request, without authenticating the
/// layered scheme a second time, and only when that result still stands for the request's user: a user replaced after
/// authentication, or an application's claims transformation, gets the stock evaluation. Each authentication of the
/// layered scheme writes ASP.NET Core's own debug line (event 8 of the handler's category), which the tests count.
/// </summary>
public sealed class LayeredPolicyEvaluatorTests
{
    private static readonly object AfterAuthentication = new();

    private static async Task<WebApplication> StartAsync(LogCapture logs, Action<WebApplication>? afterAuthentication = null, Action<IServiceCollection>? services = null)
    {
        var host = TestHost.Create().WithLogs(logs).WithLayeredAuth(b => b.AddTestSchemes()).AfterAuthentication(app =>
        {
            // What UseAuthentication() left as the request's user, for the endpoint to compare with.
            app.Use((context, next) =>
            {
                context.Items[AfterAuthentication] = context.User;
                return next(context);
            });
            afterAuthentication?.Invoke(app);
        });
        if (services is not null)
        {
            host.WithServices(services);
        }

        return await host.Map(app => app.MapGet("/orders", (HttpContext context) => new
        {
            user = context.User.Identity?.Name,
            scopes = context.User.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value).ToArray(),
            sameAsAuthentication = ReferenceEquals(context.User, context.Items[AfterAuthentication]),
        }).RequireScope("orders:read")).StartAsync();
    }

    private static Task<HttpResponseMessage> GetAsync(WebApplication app, string scopes)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
        request.Headers.Add("X-Alpha", "alice|" + scopes);
        return app.GetTestClient().SendAsync(request);
    }

    private sealed record Answer(string? User, string[] Scopes, bool SameAsAuthentication);

    // ASP.NET Core's "AuthenticationScheme: {Scheme} was successfully authenticated.", written by the layered handler.
    private static int LayeredAuthentications(LogCapture logs) =>
        logs.Entries.Count(e => e.EventId == 8 && e.Category.EndsWith(".LayeredAuthenticationHandler", StringComparison.Ordinal));

    [Fact]
    public async Task A_scope_policy_is_decided_without_authenticating_the_layered_scheme_a_second_time()
    {
        var logs = new LogCapture();
        await using var app = await StartAsync(logs);

        using var allowed = await GetAsync(app, "orders:read");
        using var refused = await GetAsync(app, "orders:write");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var answer = (await allowed.Content.ReadFromJsonAsync<Answer>())!;
        Assert.Equal("alice", answer.User);
        Assert.True(answer.SameAsAuthentication, "the endpoint sees the principal UseAuthentication() produced");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        // Once per request: by UseAuthentication(), never again for the policy.
        Assert.Equal(2, LayeredAuthentications(logs));
    }

    [Fact]
    public async Task A_user_replaced_after_authentication_is_authorized_by_the_layered_scheme_again()
    {
        // Middleware that sets an anonymous user after authentication: the stock evaluation authenticates the layered
        // scheme again and decides on its principal, never on the replacement.
        var logs = new LogCapture();
        await using var app = await StartAsync(logs, afterAuthentication: a => a.Use((context, next) =>
        {
            context.User = new ClaimsPrincipal(new ClaimsIdentity());
            return next(context);
        }));

        using var allowed = await GetAsync(app, "orders:read");
        using var refused = await GetAsync(app, "orders:write");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("alice", (await allowed.Content.ReadFromJsonAsync<Answer>())!.User);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(4, LayeredAuthentications(logs));
    }

    [Fact]
    public async Task An_applications_claims_transformation_runs_as_it_does_with_the_stock_evaluator()
    {
        var transformation = new AddScope("orders:read");
        var logs = new LogCapture();
        await using var app = await StartAsync(logs, services: s => s.AddSingleton<IClaimsTransformation>(transformation));

        using var response = await GetAsync(app, "profile:read");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("orders:read", (await response.Content.ReadFromJsonAsync<Answer>())!.Scopes);

        // The stock evaluation: the layered scheme authenticated again for the policy, the transformation not run twice
        // on one principal (ASP.NET Core's authentication service remembers what it transformed).
        Assert.Equal(2, LayeredAuthentications(logs));
        Assert.Equal(1, transformation.Calls);
    }

    private sealed class AddScope(string scope) : IClaimsTransformation
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
        {
            Interlocked.Increment(ref _calls);
            var identity = new ClaimsIdentity(principal.Identity);
            identity.AddClaim(new Claim(LayeredClaimTypes.Scope, scope));
            return Task.FromResult(new ClaimsPrincipal(identity));
        }
    }
}
