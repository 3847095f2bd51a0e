using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace AuthPatterns.Tests.Layered;

public sealed class LayeredTelemetryTests
{
    [Theory]
    [InlineData("alice|a", "success")]
    [InlineData("bad|a", "failure")]
    public async Task Each_authentication_is_a_span_on_the_AuthPatterns_source(string credential, string result)
    {
        // A scheme name of this test's own, so spans of tests running in parallel are told apart.
        var scheme = "Telemetry" + Guid.NewGuid().ToString("N");
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(scheme, spans);

        await using var app = await StartAsync(scheme);
        var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("X-Telemetry", credential);
        var response = await app.Client().SendAsync(request);
        Assert.Equal(result == "success" ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, response.StatusCode);

        var span = Assert.Single(spans);
        Assert.Equal("AuthPatterns.Authenticate", span.OperationName);
        Assert.Equal(result, span.GetTagItem("authpatterns.result"));
        Assert.Equal(result == "success" ? ActivityStatusCode.Unset : ActivityStatusCode.Error, span.Status);
        Assert.DoesNotContain(span.Tags, tag => tag.Value?.Contains(credential, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Anonymous_requests_make_no_span()
    {
        var scheme = "Telemetry" + Guid.NewGuid().ToString("N");
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(scheme, spans);

        await using var app = await StartAsync(scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client().GetAsync("/x")).StatusCode);
        Assert.Empty(spans);
    }

    private static ActivityListener Listen(string scheme, ConcurrentQueue<Activity> spans)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LayeredAuthTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("authpatterns.scheme"), scheme))
                {
                    spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static Task<WebApplication> StartAsync(string scheme) => LayeredTestHost.StartAsync(
        app => app.MapGet("/x", () => "x").RequireScope("a"),
        layered =>
        {
            layered.Authentication.AddScheme<TestCredentialOptions, TestCredentialHandler>(scheme, o =>
                o.Read = r => r.Headers.TryGetValue("X-Telemetry", out var value) ? value.ToString() : null);
            layered.AddCredentialScheme(new LayeredCredentialScheme(scheme, c => c.Request.Headers.ContainsKey("X-Telemetry")));
        });
}
