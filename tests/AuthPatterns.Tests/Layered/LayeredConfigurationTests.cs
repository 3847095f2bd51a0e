using System.Net;
using AuthPatterns.Authorization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tests.Layered;

public sealed class LayeredConfigurationTests
{
    [Fact]
    public async Task Empty_scope_list_on_an_endpoint_is_rejected_when_the_app_is_built()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            LayeredTestHost.StartAsync(app => app.MapGet("/x", () => "x").RequireScope()));
        Assert.Contains("at least one scope", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scope:")]
    [InlineData("scope:   ")]
    [InlineData("scope-any:")]
    [InlineData("scope:bad\"scope")]
    public async Task Malformed_policy_name_fails_startup_naming_the_endpoint(string policy)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LayeredTestHost.StartAsync(app => app.MapGet("/reports", () => "x").WithDisplayName("reports-endpoint").RequireAuthorization(policy)));
        Assert.Contains("reports-endpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains(policy, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_scope_names_the_scope()
    {
        var error = Assert.Throws<ArgumentException>(() => new ScopeRequirement(["orders:read", "orders write"]));
        Assert.Contains("'orders write'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relative_problem_type_uri_fails_startup_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            LayeredTestHost.StartAsync(
                app => app.MapGet("/x", () => "x"),
                configure: b => b.Services.Configure<LayeredAuthOptions>(LayeredAuthSchemes.Layered, o => o.ProblemTypeBaseUri = new Uri("/errors/", UriKind.Relative))));
        Assert.Contains("LayeredAuth:ProblemTypeBaseUri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calling_AddLayeredAuth_twice_is_safe()
    {
        await using var app = await LayeredTestHost.StartAsync(
            app => app.MapGet("/x", () => "x").RequireScope("a"),
            configure: b =>
            {
                b.AddTestSchemes();
                b.Services.AddLayeredAuth();
            });
        var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("X-Alpha", "alice|a");
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task An_application_result_handler_is_kept()
    {
        await using var app = await LayeredTestHost.StartAsync(
            app => app.MapGet("/x", () => "x").RequireScope("a"),
            services: s => s.AddSingleton<IAuthorizationMiddlewareResultHandler, TeapotResultHandler>(),
            configure: b => b.AddTestSchemes());
        Assert.Equal((HttpStatusCode)418, (await app.Client().GetAsync("/x")).StatusCode);
    }

    [Fact]
    public async Task Interactive_scheme_redirect_stands_alone()
    {
        await using var app = await LayeredTestHost.StartAsync(
            app => app.MapGet("/x", () => "x").RequireAuthorization(),
            configure: b => b.AddTestSchemes(withGamma: true));
        var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Accept.ParseAdd("text/html");
        var response = await app.Client().SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("https://portal.example/login", response.Headers.Location?.ToString());
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.Equal(0, response.Content.Headers.ContentLength ?? 0);
    }

    [Fact]
    public async Task No_registered_scheme_still_answers_401_problem_details()
    {
        await using var app = await LayeredTestHost.StartAsync(
            app => app.MapGet("/x", () => "x").RequireScope("a"),
            configure: _ => { });
        var response = await app.Client().GetAsync("/x");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private sealed class TeapotResultHandler : IAuthorizationMiddlewareResultHandler
    {
        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            context.Response.StatusCode = 418;
            return Task.CompletedTask;
        }
    }
}
