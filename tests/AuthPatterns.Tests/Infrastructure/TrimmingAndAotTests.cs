using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Xml.Linq;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tests.ApiKeys;

namespace AuthPatterns.Tests.Infrastructure;

/// <summary>
/// The runtime packages build with the trimming and AOT analyzers on (so the Release build with warnings as errors
/// refuses any new reflection), and the library's endpoints serve their JSON in an application without reflection-based
/// JSON, as a trimmed or native AOT application is.
/// </summary>
public sealed class TrimmingAndAotTests
{
    private const string Manage = ApiKeyManagementEndpointRouteBuilderExtensions.DefaultScope;
    private const string Admin = ApiKeyAuthenticationDefaults.ManagementAdminScope;

    [Theory]
    [InlineData("AuthPatterns", true)]
    [InlineData("AuthPatterns.OpenApi", false)]
    [InlineData("AuthPatterns.StackExchangeRedis", false)]
    public void Runtime_packages_build_with_the_trimming_and_AOT_analyzers_and_the_binding_generators_on(string project, bool mapsEndpoints)
    {
        var properties = XDocument.Load(Path.Combine(Repository(), "src", project, project + ".csproj"))
            .Descendants("PropertyGroup").Elements()
            .GroupBy(e => e.Name.LocalName)
            .ToDictionary(g => g.Key, g => g.Last().Value.Trim(), StringComparer.Ordinal);

        Assert.Equal("true", properties.GetValueOrDefault("IsAotCompatible"));
        Assert.Equal("true", properties.GetValueOrDefault("EnableConfigurationBindingGenerator"));
        if (mapsEndpoints)
        {
            Assert.Equal("true", properties.GetValueOrDefault("EnableRequestDelegateGenerator"));
        }

        // Only the binding generator's notes on members no configuration can set are off, never a trimming warning.
        Assert.DoesNotContain("IL2", properties.GetValueOrDefault("NoWarn") ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("IL3", properties.GetValueOrDefault("NoWarn") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void The_trimming_analyzers_are_not_switched_off_for_the_whole_repository()
    {
        var props = File.ReadAllText(Path.Combine(Repository(), "Directory.Build.props"));

        Assert.DoesNotContain("EnableTrimAnalyzer", props, StringComparison.Ordinal);
        Assert.DoesNotContain("EnableAotAnalyzer", props, StringComparison.Ordinal);
        Assert.Contains("<TreatWarningsAsErrors>true</TreatWarningsAsErrors>", props, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Management_endpoints_read_and_write_their_bodies_without_reflection_based_JSON()
    {
        // As in a trimmed or native AOT application: the HTTP JSON options know no type through reflection.
        await using var app = await ApiKeyTestApp.StartAsync(
            mapManagement: true,
            services: s => s.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolver = JsonTypeInfoResolver.Combine()));
        var admin = await app.CreateKeyAsync([Manage, Admin, "events:write"], tenant: "acme", owner: "acme-admin");

        using var created = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", admin.Key, """{"ownerId":"acme-partner","scopes":["events:write"],"expiresInSeconds":3600}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        app.Use(body.GetProperty("key").GetString()!);
        var id = body.GetProperty("info").GetProperty("id").GetString()!;
        Assert.Equal("acme-partner", body.GetProperty("info").GetProperty("ownerId").GetString());

        using var list = await app.SendAsync("/admin/api-keys", admin.Key);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains(id, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var scopes = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{id}/scopes", admin.Key, """{"scopes":["events:write"]}""");
        Assert.Equal(HttpStatusCode.OK, scopes.StatusCode);

        using var rolled = await SendJsonAsync(app, HttpMethod.Post, $"/admin/api-keys/{id}/roll", admin.Key, """{"gracePeriodSeconds":0}""");
        Assert.Equal(HttpStatusCode.Created, rolled.StatusCode);
        app.Use((await rolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);

        using var invalid = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", admin.Key, """{"scopes":["events:write"],"expiresInSeconds":-1}""");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType?.MediaType);

        using var revoked = await SendJsonAsync(app, HttpMethod.Post, $"/admin/api-keys/{id}/revoke", admin.Key, """{"reason":"offboarded"}""");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.NotNull((await revoked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revokedAt").GetString());
        app.AssertNoSecretInLogs();
    }

    private static Task<HttpResponseMessage> SendJsonAsync(ApiKeyTestApp app, HttpMethod method, string path, string key, string json)
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-API-Key", key);
        return app.Client.SendAsync(request);
    }

    private static string Repository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AuthPatterns.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found.");
    }
}
