using System.Net;
using System.Reflection;
using System.Text.Json;
using AuthPatterns.Authorization;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Mvc.Controllers;

namespace AuthPatterns.Tests.Authorization;

/// <summary>
/// Scopes named in configuration (<c>RequireScopeFromConfiguration</c>, <c>[RequireScopeFromConfiguration]</c>): a
/// space-separated string or an array, all-of or any-of, and a missing, empty or invalid key fails startup naming it.
/// </summary>
public sealed class ScopesFromConfigurationTests
{
    private static async Task<WebApplication> StartAsync(Dictionary<string, string?> settings, Action<WebApplication> map, bool controllers = false) =>
        await LayeredTestHost.StartAsync(
            app =>
            {
                map(app);
                if (controllers)
                {
                    app.MapControllers();
                }
            },
            services: services =>
            {
                services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
                if (controllers)
                {
                    services.AddControllers().ConfigureApplicationPartManager(parts =>
                        parts.FeatureProviders.Add(new OnlyController(typeof(ConfiguredScopesController))));
                }
            });

    private static async Task<HttpResponseMessage> Get(WebApplication app, string path, string? scopes)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (scopes is not null)
        {
            request.Headers.Add("X-Alpha", "alice|" + scopes);
        }

        return await app.Client().SendAsync(request);
    }

    [Theory]
    [InlineData("space-separated")]
    [InlineData("array")]
    [InlineData("tabs and line breaks")]
    public async Task Scopes_from_configuration_are_all_required_in_either_form(string form)
    {
        var settings = form switch
        {
            "array" => new Dictionary<string, string?> { ["Orders:Scopes:0"] = "orders:read", ["Orders:Scopes:1"] = "orders:write" },
            "tabs and line breaks" => new Dictionary<string, string?> { ["Orders:Scopes"] = "orders:read\t\norders:write " },
            _ => new Dictionary<string, string?> { ["Orders:Scopes"] = "orders:read orders:write" },
        };
        await using var app = await StartAsync(settings, a => a.MapGet("/orders", () => "ok").RequireScopeFromConfiguration("Orders:Scopes"));

        Assert.Equal(HttpStatusCode.OK, (await Get(app, "/orders", "orders:read orders:write")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(app, "/orders", null)).StatusCode);

        var forbidden = await Get(app, "/orders", "orders:read");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var body = JsonDocument.Parse(await forbidden.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("insufficient_scope", body.GetProperty("error").GetString());
        Assert.Equal(["orders:read", "orders:write"], body.GetProperty("requiredScopes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Any_of_scopes_from_configuration_accepts_one_of_them()
    {
        await using var app = await StartAsync(
            new() { ["Orders:Scopes"] = "orders:read orders:admin" },
            a => a.MapGet("/orders", () => "ok").RequireScopeFromConfiguration("Orders:Scopes", ScopeMatch.Any));

        Assert.Equal(HttpStatusCode.OK, (await Get(app, "/orders", "orders:admin")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(app, "/orders", "profile:read")).StatusCode);
    }

    [Fact]
    public async Task The_controller_attribute_reads_its_scopes_from_configuration()
    {
        await using var app = await StartAsync(new() { ["Reports:Scopes"] = "reports:read" }, _ => { }, controllers: true);

        Assert.Equal(HttpStatusCode.OK, (await Get(app, "/configured-scopes", "reports:read")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(app, "/configured-scopes", "orders:read")).StatusCode);
    }

    [Theory]
    [InlineData("missing", null)]
    [InlineData("empty", "")]
    [InlineData("blank", "   ")]
    public async Task A_missing_or_empty_scope_key_fails_startup_naming_the_key_never_allowing_all(string name, string? value)
    {
        var settings = new Dictionary<string, string?>();
        if (value is not null)
        {
            settings["Orders:Scopes"] = value;
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            StartAsync(settings, a => a.MapGet("/orders", () => "ok").RequireScopeFromConfiguration("Orders:Scopes")));
        Assert.Contains("'Orders:Scopes'", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing or empty", error.Message, StringComparison.Ordinal);
        Assert.Contains("/orders", error.Message, StringComparison.Ordinal);
        _ = name;
    }

    [Fact]
    public async Task An_empty_array_fails_startup_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(
            new() { ["Orders:Scopes:0"] = "", ["Orders:Scopes:1"] = " " },
            a => a.MapGet("/orders", () => "ok").RequireScopeFromConfiguration("Orders:Scopes")));
        Assert.Contains("'Orders:Scopes'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("orders:\"read\"")]
    [InlineData("orders:read\\x")]
    [InlineData("órders:read")]
    public async Task An_invalid_scope_in_configuration_fails_startup_naming_the_key(string scope)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(
            new() { ["Orders:Scopes"] = "orders:write " + scope },
            a => a.MapGet("/orders", () => "ok").RequireScopeFromConfiguration("Orders:Scopes")));
        Assert.Contains("'Orders:Scopes'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid scope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_controller_whose_scope_key_is_missing_fails_startup_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(new(), _ => { }, controllers: true));
        Assert.Contains("'Reports:Scopes'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void An_empty_key_name_is_refused_where_it_is_written(string key)
    {
        Assert.ThrowsAny<ArgumentException>(() => new RequireScopeFromConfigurationAttribute(key));
    }

    private sealed class OnlyController(Type controller) : IApplicationFeatureProvider<ControllerFeature>
    {
        public void PopulateFeature(IEnumerable<ApplicationPart> parts, ControllerFeature feature)
        {
            feature.Controllers.Clear();
            feature.Controllers.Add(controller.GetTypeInfo());
        }
    }
}

[ApiController]
[Route("configured-scopes")]
[RequireScopeFromConfiguration("Reports:Scopes")]
internal sealed class ConfiguredScopesController : ControllerBase
{
    [HttpGet]
    public string Get() => "ok";
}
