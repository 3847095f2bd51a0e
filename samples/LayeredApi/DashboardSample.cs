using System.Text.Encodings.Web;
using AuthPatterns;
using AuthPatterns.Posture;
using Microsoft.Net.Http.Headers;

namespace LayeredApi;

/// <summary>
/// The dashboard's answer to a browser that is not signed in, in Development. With the browser login on, the
/// forward-auth scheme sends the browser to <c>/login</c>; with it off (the embedded defaults) there is no sign-in page
/// to send it to, so instead of a bare 401 the browser gets a short page saying how to sign in. The status stays 401,
/// with the same <c>WWW-Authenticate</c> challenges; scripts still get the problem details.
/// </summary>
public static class DashboardSample
{
    /// <summary>Adds the sign-in hint to the layered scheme's 401 for browsers asking for a dashboard page, in Development.</summary>
    /// <param name="layered">The layered authentication builder.</param>
    /// <param name="builder">The application builder.</param>
    /// <returns>The layered builder.</returns>
    public static LayeredAuthBuilder AddDashboardSignInHint(this LayeredAuthBuilder layered, WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment())
        {
            return layered;
        }

        builder.Services.Configure<LayeredAuthOptions>(LayeredAuthSchemes.Layered, options =>
        {
            var previous = options.Events.OnChallenge;
            options.Events.OnChallenge = async context =>
            {
                await previous(context);
                if (context.Handled || context.StatusCode != StatusCodes.Status401Unauthorized || !IsBrowserOnDashboard(context.Request))
                {
                    return;
                }

                var response = context.Response;
                response.StatusCode = StatusCodes.Status401Unauthorized;
                response.ContentType = "text/html; charset=utf-8";
                response.Headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
                response.Headers.CacheControl = "no-store";
                response.Headers.XContentTypeOptions = "nosniff";
                await response.WriteAsync(SignInPage(context.Request), context.HttpContext.RequestAborted);
                context.HandleResponse();
            };
        });
        return layered;
    }

    private static bool IsBrowserOnDashboard(HttpRequest request) =>
        request.Path.StartsWithSegments(SampleHost.DashboardPath, StringComparison.OrdinalIgnoreCase)
        && HttpMethods.IsGet(request.Method)
        && request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static string SignInPage(HttpRequest request)
    {
        // The address comes from the request's Host header: encoded like any other value from a request.
        var address = HtmlEncoder.Default.Encode($"{request.Scheme}://{request.Host}");
        return $"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to the dashboard - AuthPatterns</title></head>
            <body><h1 id="sign-in-needed">Sign in to see the dashboard</h1>
            <p>The dashboard is for a person signed in with the scope <code>authpatterns:admin</code>. This sample signs people in
            through its browser login against <code>samples/AuthServer</code>, which is off now. Start both, from the repository root,
            then open this page again and sign in as <code>demo</code> / <code>demo-password-2026</code>:</p>
            <pre>dotnet run --project samples/AuthServer &amp;
            BrowserLogin__ClientId=layered-web BrowserLogin__ClientSecret=layered-web-development-secret \
            LayeredAuth__Jwt__Authority=http://localhost:5100/ LayeredAuth__Jwt__Audience=layered-api \
              dotnet run --project samples/LayeredApi</pre>
            <p>Without signing in, from this machine: the posture report as JSON at
            <a href="{AuthPostureEndpointOptions.DefaultPattern}">{address}{AuthPostureEndpointOptions.DefaultPattern}</a>, or as a table with
            <code>dotnet run --project src/AuthPatterns.Tool -- posture --url {address}</code>; the API in Scalar at
            <a href="/scalar">{address}/scalar</a>.</p>
            </body></html>
            """;
    }
}
