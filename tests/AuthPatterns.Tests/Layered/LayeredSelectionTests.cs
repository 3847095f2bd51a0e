using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using AuthPatterns.Authorization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace AuthPatterns.Tests.Layered;

public sealed class LayeredSelectionTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = await LayeredTestHost.StartAsync(
            app =>
            {
                app.MapGet("/anon", () => "open");
                app.MapGet("/any", (ClaimsPrincipal u) => $"{u.FindFirstValue(LayeredClaimTypes.Scheme)}:{u.FindFirstValue(LayeredClaimTypes.Subject)}").RequireAuthorization();
                app.MapGet("/all", () => "ok").RequireScope("orders:read", "orders:write");
                app.MapGet("/anyof", () => "ok").RequireAnyScope("orders:admin", "orders:read");
                app.MapGet("/alpha-only", () => "ok").RequireScope("events:write").AllowSchemes(TestSchemeRegistration.Alpha);
                app.MapGet("/tenants/{tenantId}/invoices", (string tenantId) => tenantId).RequireScope("invoices:read").RequireTenant("tenantId");
                app.MapGet("/policy-name", () => "ok").RequireAuthorization("scope:reports:read");
                var group = app.MapGroup("/group").RequireScope("group:read");
                group.MapGet("/item", () => "ok");
                app.MapControllers();
            },
            services: s => s.AddControllers().AddApplicationPart(typeof(ScopedController).Assembly));
        _client = _app.Client();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<HttpResponseMessage> Send(string path, string? alpha = null, string? beta = null, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (alpha is not null)
        {
            request.Headers.Add("X-Alpha", alpha);
        }

        if (beta is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Beta", beta);
        }

        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return _client.SendAsync(request);
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task Anonymous_endpoint_needs_no_credential()
    {
        var response = await Send("/anon");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("alice|x", null, "Alpha:alice")]
    [InlineData(null, "bob|x", "Beta:bob")]
    public async Task One_credential_is_forwarded_to_its_scheme(string? alpha, string? beta, string expected)
    {
        var response = await Send("/any", alpha, beta);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task No_credential_is_challenged_by_every_accepted_scheme()
    {
        var response = await Send("/all");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(
            ["Alpha realm=\"test\"", "Beta realm=\"test\""],
            response.Headers.WwwAuthenticate.Select(h => h.ToString()).ToArray());
        var problem = await Problem(response);
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal("unauthorized", problem.GetProperty("error").GetString());
        Assert.Equal(["Alpha", "Beta"], problem.GetProperty("acceptedSchemes").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public async Task Two_kinds_of_credential_are_refused_with_400_invalid_request()
    {
        var response = await Send("/any", alpha: "alice|orders:read", beta: "bob|orders:read");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Problem(response);
        Assert.Equal("invalid_request", problem.GetProperty("error").GetString());
        Assert.Empty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task Refused_credential_gets_401_and_the_scheme_error_without_echoing_the_credential()
    {
        var response = await Send("/any", beta: "bad|secret-value-123");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Beta realm=\"test\", error=\"invalid_token\"", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret-value-123", body, StringComparison.Ordinal);
        Assert.Equal("invalid_token", (await Problem(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("orders:read orders:write", HttpStatusCode.OK)]
    [InlineData("orders:write orders:read extra", HttpStatusCode.OK)]
    [InlineData("orders:read", HttpStatusCode.Forbidden)]
    [InlineData("orders:readx orders:write", HttpStatusCode.Forbidden)]
    [InlineData("ORDERS:READ orders:write", HttpStatusCode.Forbidden)]
    public async Task All_of_scopes_are_required(string scopes, HttpStatusCode expected)
    {
        var response = await Send("/all", alpha: $"alice|{scopes}");
        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("orders:read", HttpStatusCode.OK)]
    [InlineData("orders:admin", HttpStatusCode.OK)]
    [InlineData("orders:write", HttpStatusCode.Forbidden)]
    public async Task Any_of_scopes_needs_one(string scopes, HttpStatusCode expected)
    {
        var response = await Send("/anyof", alpha: $"alice|{scopes}");
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Missing_scope_for_a_bearer_style_caller_says_insufficient_scope_per_rfc6750()
    {
        var response = await Send("/all", beta: "bob|orders:read");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(
            "Bearer error=\"insufficient_scope\", error_description=\"The token lacks a required scope.\", scope=\"orders:read orders:write\"",
            Assert.Single(response.Headers.WwwAuthenticate).ToString());
        var problem = await Problem(response);
        Assert.Equal("insufficient_scope", problem.GetProperty("error").GetString());
        Assert.Equal(["orders:read", "orders:write"], problem.GetProperty("requiredScopes").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public async Task Missing_scope_for_a_non_bearer_caller_has_no_bearer_header_but_the_same_body()
    {
        var response = await Send("/all", alpha: "alice|orders:read");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(response.Headers.WwwAuthenticate);
        var problem = await Problem(response);
        Assert.Equal("insufficient_scope", problem.GetProperty("error").GetString());
        Assert.Contains("all of the scopes: orders:read orders:write", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endpoint_restricted_to_one_scheme_answers_a_valid_credential_of_another_with_401()
    {
        var response = await Send("/alpha-only", beta: "bob|events:write");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["Alpha realm=\"test\""], response.Headers.WwwAuthenticate.Select(h => h.ToString()).ToArray());
        var problem = await Problem(response);
        Assert.Equal("credential_not_accepted", problem.GetProperty("error").GetString());
        Assert.Equal("This endpoint does not accept Beta credentials.", problem.GetProperty("detail").GetString());

        var allowed = await Send("/alpha-only", alpha: "alice|events:write");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Theory]
    [InlineData("acme", "acme", HttpStatusCode.OK)]
    [InlineData("acme", "globex", HttpStatusCode.Forbidden)]
    [InlineData("acme", "ACME", HttpStatusCode.Forbidden)]
    [InlineData("", "acme", HttpStatusCode.Forbidden)]
    public async Task Tenant_claim_must_match_the_route_value(string tenant, string route, HttpStatusCode expected)
    {
        var credential = tenant.Length == 0 ? "alice|invoices:read" : $"alice|invoices:read|{tenant}";
        var response = await Send($"/tenants/{route}/invoices", alpha: credential);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Forbidden)
        {
            Assert.Equal("tenant_mismatch", (await Problem(response)).GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Scope_failure_is_reported_before_tenant_failure()
    {
        var response = await Send("/tenants/acme/invoices", alpha: "alice|other|globex");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("insufficient_scope", (await Problem(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("/policy-name", "reports:read", HttpStatusCode.OK)]
    [InlineData("/policy-name", "reports:write", HttpStatusCode.Forbidden)]
    [InlineData("/group/item", "group:read", HttpStatusCode.OK)]
    [InlineData("/group/item", "other", HttpStatusCode.Forbidden)]
    [InlineData("/mvc/scoped", "mvc:read", HttpStatusCode.OK)]
    [InlineData("/mvc/scoped", "mvc:write", HttpStatusCode.Forbidden)]
    [InlineData("/mvc/scoped/admin", "mvc:read mvc:admin", HttpStatusCode.OK)]
    [InlineData("/mvc/scoped/admin", "mvc:read", HttpStatusCode.Forbidden)]
    [InlineData("/mvc/scoped/either", "mvc:read", HttpStatusCode.OK)]
    public async Task Policy_names_groups_and_attributes_apply_the_same_rules(string path, string scopes, HttpStatusCode expected)
    {
        var response = await Send(path, alpha: $"alice|{scopes}");
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Controller_restricted_by_attribute_refuses_other_schemes()
    {
        var response = await Send("/mvc/scoped", beta: "bob|mvc:read");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Feature_reports_the_selected_scheme()
    {
        var response = await Send("/mvc/scoped/feature", alpha: "alice|mvc:read");
        Assert.Equal("Alpha", await response.Content.ReadAsStringAsync());
    }
}

[ApiController]
[Route("mvc/scoped")]
[RequireScope("mvc:read")]
[AllowSchemes(TestSchemeRegistration.Alpha)]
public sealed class ScopedController : ControllerBase
{
    [HttpGet]
    public string Get() => "ok";

    [HttpGet("admin")]
    [RequireScope("mvc:admin")]
    public string Admin() => "ok";

    [HttpGet("either")]
    [Authorize(Policy = "scope-any:mvc:read mvc:other")]
    public string Either() => "ok";

    [HttpGet("feature")]
    public string Feature() => HttpContext.Features.Get<ILayeredAuthenticationFeature>()?.SelectedScheme ?? "none";
}
