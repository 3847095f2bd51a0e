using System.Net;
using Microsoft.Playwright;

namespace AuthPatterns.EndToEndTests.OAuth2;

/// <summary>
/// The dashboard of samples/LayeredApi in headless Chromium, as a person uses it: signed in through the browser login
/// as the demo user (who holds <c>authpatterns:admin</c>), creating a key, reading its secret once, seeing its usage,
/// revoking it, reading the posture page's findings; a person without the scope, and a page of another site posting a form, are refused.
/// Screenshots go to the test output folder, and to docs/images when AUTHPATTERNS_DOCS_SCREENSHOTS is 1.
/// </summary>
[Collection(OAuth2Collection.Name)]
public sealed class DashboardTests(OAuth2Stack stack)
{
    private static readonly string[] DocsScreenshots = ["dashboard-keys.png", "dashboard-created.png", "dashboard-usage.png", "dashboard-key.png", "dashboard-revoked.png", "dashboard-posture.png"];

    [Fact]
    public async Task A_person_with_the_admin_scope_creates_a_key_sees_its_usage_and_revokes_it()
    {
        await using var context = await stack.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SetViewportSizeAsync(1280, 900);
        var dashboard = new Uri(stack.LoginApi.Address, "/authpatterns/").AbsoluteUri;

        // Not signed in: to /login, the authorization server's sign-in page, and back to the dashboard.
        await page.GotoAsync(dashboard);
        await OAuth2Stack.SignInAsync(page);
        Assert.True(page.Url == dashboard, $"{page.Url}\n{stack.Logs()}");
        Assert.Equal("API keys", await page.Locator("h1").TextContentAsync());
        var policy = (await page.GotoAsync(dashboard))!.Headers["content-security-policy"];
        Assert.StartsWith("default-src 'none'; style-src 'nonce-", policy, StringComparison.Ordinal);

        // Create: the secret is on this page once.
        await page.FillAsync("input[name=name]", "e2e webhook");
        await page.FillAsync("input[name=scopes]", "profile:read");
        await page.FillAsync("input[name=days]", "30");
        await page.ClickAsync("form[action$='/keys'] button[type=submit]");
        var key = (await page.Locator("#new-key").TextContentAsync())!;
        Assert.Matches("^ak_live_[A-Za-z0-9]{12}_", key);
        var keyId = key.Split('_')[2];
        await ScreenshotAsync(page, "dashboard-created.png", mask: page.Locator("#new-key"));
        await page.GotoAsync(dashboard);
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Contains("active", await page.Locator($"tr[data-key='{keyId}']").TextContentAsync(), StringComparison.Ordinal);

        // Requests with it, from a client that is not the browser: three served, one refused for carrying it in the URL.
        using var client = new HttpClient { BaseAddress = stack.LoginApi.Address };
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(client, key));
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/profile?api_key=" + key)).StatusCode);

        // The usage page, once the counts are written (every second here).
        var usage = new Uri(stack.LoginApi.Address, "/authpatterns/usage").AbsoluteUri;
        var row = page.Locator($"#usage tr[data-key='{keyId}'] td[data-outcome='valid']");
        for (var attempt = 0; attempt < 30; attempt++)
        {
            await page.GotoAsync(usage);
            if (await row.CountAsync() == 1 && await row.TextContentAsync() == "3")
            {
                break;
            }

            await Task.Delay(1000);
        }

        Assert.True(await row.TextContentAsync() == "3", await page.ContentAsync());
        Assert.Equal("1", await page.Locator($"#usage tr[data-key='{keyId}'] td[data-outcome='exposed']").TextContentAsync());
        Assert.Equal(1, await page.Locator("svg.chart rect").Filter(new() { HasText = "3 served" }).CountAsync());
        await page.GotoAsync(dashboard);
        await ScreenshotAsync(page, "dashboard-keys.png");
        await page.GotoAsync(usage);
        await ScreenshotAsync(page, "dashboard-usage.png");

        // The key's page: its usage, then revoke it; the next request with it is refused.
        await page.ClickAsync($"#usage a[href$='/keys/{keyId}']");
        Assert.Contains("3 served", await page.Locator("#served-total").TextContentAsync(), StringComparison.Ordinal);
        await ScreenshotAsync(page, "dashboard-key.png");
        await page.FillAsync("form[action$='/revoke'] input[name=reason]", "no longer needed");
        await page.ClickAsync("#revoke");
        Assert.Contains("The key was revoked", await page.Locator("#notice").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("revoked", await page.Locator("#key .state-revoked").TextContentAsync());
        await ScreenshotAsync(page, "dashboard-revoked.png");
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(client, key));

        // The posture page: the sample's endpoints, and its findings highlighted by severity.
        await page.ClickAsync("header nav a:text-is('Posture')");
        Assert.Equal("Auth posture", await page.Locator("h1").TextContentAsync());
        var findings = page.Locator("#findings tr[data-finding]");
        Assert.True(await findings.CountAsync() >= 1, await page.ContentAsync());
        Assert.Matches("^AP0[0-9]{2}$", await findings.First.Locator("code").TextContentAsync());
        Assert.Equal(1, await page.Locator("#endpoints td code").Filter(new() { HasTextRegex = new("^/webhooks/events$") }).CountAsync());
        await ScreenshotAsync(page, "dashboard-posture.png");

        CopyScreenshotsToDocs();
    }

    [Fact]
    public async Task A_person_without_the_admin_scope_gets_403()
    {
        // Signed in at the portal, the verify-mode API gives the demo user profile:read only (GroupScopes staff).
        await using var context = await stack.SignedInContextAsync();
        var page = await context.NewPageAsync();
        var profile = await page.GotoAsync(new Uri(stack.VerifyApi.Address, "/api/profile").AbsoluteUri);
        Assert.True(profile!.Status == 200, $"{profile.Status}\n{stack.Logs()}");

        var dashboard = await page.GotoAsync(new Uri(stack.VerifyApi.Address, "/authpatterns/").AbsoluteUri);
        Assert.Equal(403, dashboard!.Status);
        Assert.DoesNotContain("API keys", await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_form_posted_from_another_site_revokes_nothing()
    {
        await using var context = await stack.NewContextAsync();
        var page = await context.NewPageAsync();
        var dashboard = new Uri(stack.LoginApi.Address, "/authpatterns/").AbsoluteUri;
        await page.GotoAsync(dashboard);
        await OAuth2Stack.SignInAsync(page);
        await page.FillAsync("input[name=scopes]", "profile:read");
        await page.ClickAsync("form[action$='/keys'] button[type=submit]");
        var key = (await page.Locator("#new-key").TextContentAsync())!;
        var keyId = key.Split('_')[2];

        // A page of another site, in the same browser, with a form aimed at the dashboard's revoke action.
        var revoke = new Uri(stack.LoginApi.Address, $"/authpatterns/keys/{keyId}/revoke").AbsoluteUri;
        await context.RouteAsync("http://attacker.test/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"<!doctype html><form method=\"post\" action=\"{revoke}\"><input name=\"reason\" value=\"forged\"><button id=\"go\">win a prize</button></form>",
        }));
        var posts = new List<(string Url, int Status, string? Location)>();
        page.Response += (_, response) =>
        {
            if (response.Request.Method == "POST")
            {
                posts.Add((response.Url, response.Status, response.Headers.GetValueOrDefault("location")));
            }
        };
        await page.GotoAsync("http://attacker.test/prize");
        await page.ClickAsync("#go");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // The browser sends no session cookie with it (SameSite=Strict): the post is sent to sign in, not acted on.
        var forged = Assert.Single(posts, p => p.Url == revoke);
        Assert.True(forged.Status == 303 && forged.Location?.StartsWith(new Uri(stack.LoginApi.Address, "/login?rd=").AbsoluteUri, StringComparison.Ordinal) == true, $"{forged}");
        using var client = new HttpClient { BaseAddress = stack.LoginApi.Address };
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, key));
        await page.GotoAsync(new Uri(stack.LoginApi.Address, $"/authpatterns/keys/{keyId}").AbsoluteUri);
        Assert.Equal("active", await page.Locator("#key .state-active").TextContentAsync());
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/profile");
        request.Headers.Add("X-API-Key", key);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static Task ScreenshotAsync(IPage page, string name, ILocator? mask = null) =>
        page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(EndToEndEnvironment.OutputDirectory, name),
            FullPage = true,
            Mask = mask is null ? null : [mask],
        });

    private static void CopyScreenshotsToDocs()
    {
        if (Environment.GetEnvironmentVariable("AUTHPATTERNS_DOCS_SCREENSHOTS") != "1")
        {
            return;
        }

        var images = Directory.CreateDirectory(Path.Combine(EndToEndEnvironment.RepositoryRoot, "docs", "images")).FullName;
        foreach (var name in DocsScreenshots)
        {
            File.Copy(Path.Combine(EndToEndEnvironment.OutputDirectory, name), Path.Combine(images, name), overwrite: true);
        }
    }
}
