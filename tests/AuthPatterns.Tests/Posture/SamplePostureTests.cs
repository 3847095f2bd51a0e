using System.Net;
using System.Text.Json;
using AuthPatterns.Issuing;
using AuthPatterns.Posture;
using LayeredApi;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AuthPatterns.Tests.Posture;

/// <summary>The sample maps the posture report in Development, open to loopback callers, and has findings to show.</summary>
public sealed class SamplePostureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ap-posture-sample-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private WebApplicationFactory<Program> Factory(string environment) => new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
        .UseEnvironment(environment)
        .UseSetting("LayeredAuth:Jwt:DevelopmentKeyDirectory", _directory)
        .UseSetting("LayeredAuth:ApiKeys:ConnectionString", $"Data Source={Path.Combine(_directory, "keys.db")};Pooling=False")
        .UseSetting("LayeredAuth:ApiKeys:HashMemorySize", "64")
        .UseSetting("LayeredAuth:ApiKeys:HashIterations", "1"));

    [Fact]
    public async Task Sample_posture_in_Development_answers_loopback_without_credential_with_findings()
    {
        await using var factory = Factory("Development");
        _ = factory.Server;

        var context = await factory.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = AuthPostureEndpointOptions.DefaultPattern;
            c.Connection.RemoteIpAddress = IPAddress.Loopback;
        });

        Assert.Equal(200, context.Response.StatusCode);
        var report = await JsonSerializer.DeserializeAsync<AuthPostureReport>(context.Response.Body, AuthPostureReport.JsonOptions);
        Assert.NotNull(report);
        Assert.Contains(report.Endpoints, e => e.Route == "/webhooks/events" && e.AcceptedSchemes.SequenceEqual([LayeredAuthSchemes.ApiKey]));
        Assert.Contains(report.Findings, f => f.Id == AuthPostureFindingIds.LongLivedTokens);
    }

    [Fact]
    public async Task Sample_posture_in_Development_needs_the_admin_scope_from_elsewhere()
    {
        await using var factory = Factory("Development");
        var client = factory.CreateClient();
        var issuer = factory.Services.GetRequiredService<IServiceTokenIssuer>();
        async Task<HttpStatusCode> WithScopesAsync(params string[] scopes)
        {
            var token = await issuer.IssueAsync(new ServiceTokenRequest { Audience = JwtSample.DefaultAudience, Subject = "ops", Scopes = scopes });
            using var request = new HttpRequestMessage(HttpMethod.Get, AuthPostureEndpointOptions.DefaultPattern);
            request.Headers.Authorization = new("Bearer", token.AccessToken);
            return (await client.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(AuthPostureEndpointOptions.DefaultPattern)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, await WithScopesAsync("profile:read"));
        Assert.Equal(HttpStatusCode.OK, await WithScopesAsync(AuthPostureEndpointOptions.DefaultScope));
    }

    [Fact]
    public async Task Sample_posture_is_not_mapped_outside_Development()
    {
        await using var factory = Factory("Testing");

        var context = await factory.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = AuthPostureEndpointOptions.DefaultPattern;
            c.Connection.RemoteIpAddress = IPAddress.Loopback;
        });

        Assert.Equal(404, context.Response.StatusCode);
    }
}
