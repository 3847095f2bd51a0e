using System.Net;
using System.Text.RegularExpressions;
using AuthPatterns.ApiKeys;
using AuthPatterns.Dashboard;
using AuthPatterns.Posture;
using AuthPatterns.Tests.ApiKeys;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace AuthPatterns.Tests.Dashboard;

public sealed partial class DashboardTests
{
    private const string Admin = "Bearer admin|authpatterns:admin events:write profile:read";

    [Fact]
    public async Task Usage_counts_are_kept_per_key_hour_and_outcome_and_guessed_ids_add_none()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.MaxVerificationsPerKey = 1000);
        var key = await app.CreateKeyAsync(networks: ["10.0.0.0/8"]);
        var revoked = await app.CreateKeyAsync();
        var expiring = await app.CreateKeyAsync(lifetime: TimeSpan.FromMinutes(1));
        await app.Manager.RevokeAsync(revoked.Info.Id, "leaked");

        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync("/api/ping", key.Key, address: "10.1.2.3")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync("/api/ping", key.Key, address: "10.1.2.3")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync("/api/ping", key.Key, address: "192.0.2.1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync("/api/ping", app.Guess(key.Info.Id), address: "10.1.2.3")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync("/api/ping", revoked.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.GetAsync("/api/ping?api_key=" + revoked.Key)).StatusCode);
        app.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync("/api/ping", expiring.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync("/api/ping", key.Key, address: "10.1.2.3")).StatusCode);
        // Well-formed keys of ids nobody holds: refused, and never a count (no row per guessed id).
        for (var i = 0; i < 5; i++)
        {
            var unknown = app.Use(ApiKeyFormat.Create(ApiKeyFormat.DefaultPrefix, test: false, ApiKeyFormat.NewKeyId()));
            Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync("/api/ping", unknown)).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.GetAsync("/api/ping?api_key=" + unknown)).StatusCode);
        }

        await app.Usage.FlushAsync();

        var counts = await app.Store.ListUsageCountsAsync(null, DateTimeOffset.MinValue);
        var hour0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var hour1 = hour0.AddHours(1);
        var actual = counts.Select(c => (c.KeyId, c.PeriodStart, c.Outcome, c.Count)).OrderBy(c => c.ToString(), StringComparer.Ordinal).ToArray();
        var expected = new[]
        {
            (key.Info.Id, hour0, ApiKeyOutcomes.Valid, 2L),
            (key.Info.Id, hour0, ApiKeyOutcomes.NetworkNotAllowed, 1L),
            (key.Info.Id, hour0, ApiKeyOutcomes.InvalidSecret, 1L),
            (key.Info.Id, hour1, ApiKeyOutcomes.Valid, 1L),
            (revoked.Info.Id, hour0, ApiKeyOutcomes.Revoked, 1L),
            (revoked.Info.Id, hour0, ApiKeyOutcomes.Exposed, 1L),
            (expiring.Info.Id, hour1, ApiKeyOutcomes.Expired, 1L),
        }.OrderBy(c => c.ToString(), StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, actual);

        // Written once: a second flush adds nothing.
        await app.Usage.FlushAsync();
        Assert.Equal(counts.Sum(c => c.Count), (await app.Store.ListUsageCountsAsync(null, DateTimeOffset.MinValue)).Sum(c => c.Count));
    }

    [Fact]
    public async Task Usage_counts_are_pruned_after_their_retention()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.UsageCountRetention = TimeSpan.FromDays(2));
        var key = await app.CreateKeyAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync("/api/ping", key.Key)).StatusCode);
        await app.Usage.FlushAsync();
        Assert.Single(await app.Store.ListUsageCountsAsync(key.Info.Id, DateTimeOffset.MinValue));

        app.Time.Advance(TimeSpan.FromDays(3));
        await app.Usage.FlushAsync();
        Assert.Empty(await app.Store.ListUsageCountsAsync(key.Info.Id, DateTimeOffset.MinValue));
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("Bearer someone|events:write profile:read apikeys:admin", HttpStatusCode.Forbidden)]
    [InlineData(Admin, HttpStatusCode.OK)]
    public async Task Dashboard_needs_its_scope(string? authorization, HttpStatusCode expected)
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapDashboard: true);
        foreach (var path in (string[])["/authpatterns/", "/authpatterns/usage", "/authpatterns/posture"])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            Assert.Equal(expected, (await app.Client.SendAsync(request)).StatusCode);
        }
    }

    [Fact]
    public async Task Dashboard_pages_carry_a_strict_content_security_policy_and_encode_every_stored_value()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapDashboard: true);
        await app.Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "<script>alert(1)</script>", Name = "\"><img src=x onerror=alert(2)>", Scopes = ["events:write"] });

        foreach (var path in (string[])["/authpatterns/", "/authpatterns/usage", "/authpatterns/posture"])
        {
            var response = await SendAsync(app, HttpMethod.Get, path);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            var nonce = NonceInPolicy().Match(csp).Groups[1].Value;
            Assert.Equal($"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", csp);
            Assert.Contains($"<style nonce=\"{nonce}\">", html, StringComparison.Ordinal);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
        }

        var keys = await (await SendAsync(app, HttpMethod.Get, "/authpatterns/")).Content.ReadAsStringAsync();
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", keys, StringComparison.Ordinal);
        Assert.Contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;", keys, StringComparison.Ordinal);

        // Two answers, two nonces.
        var first = (await SendAsync(app, HttpMethod.Get, "/authpatterns/")).Headers.GetValues("Content-Security-Policy").Single();
        var second = (await SendAsync(app, HttpMethod.Get, "/authpatterns/")).Headers.GetValues("Content-Security-Policy").Single();
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Dashboard_creates_a_key_showing_its_secret_once_and_revokes_it_so_the_next_request_is_refused()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapDashboard: true);
        var created = await SendAsync(app, HttpMethod.Post, "/authpatterns/keys", new()
        {
            ["owner"] = "partner-9",
            ["tenant"] = "acme",
            ["name"] = "billing",
            ["scopes"] = "events:write",
            ["days"] = "30",
            ["networks"] = "",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var page = await created.Content.ReadAsStringAsync();
        var secret = NewKey().Match(page).Groups[1].Value;
        app.Use(secret);
        var info = Assert.Single(await app.Manager.ListAsync(ownerId: "partner-9"));
        Assert.Equal(["events:write"], info.Scopes);
        Assert.Equal(("acme", "billing"), (info.Tenant, info.Name));
        Assert.Equal(app.Time.GetUtcNow().AddDays(30), info.ExpiresAt);
        Assert.Equal(HttpStatusCode.Accepted, (await app.SendAsync("/webhooks/events", secret, HttpMethod.Post)).StatusCode);

        // Shown once: neither the list nor the key's page holds it.
        Assert.DoesNotContain(secret, await (await SendAsync(app, HttpMethod.Get, "/authpatterns/")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await (await SendAsync(app, HttpMethod.Get, $"/authpatterns/keys/{info.Id}")).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var revoked = await SendAsync(app, HttpMethod.Post, $"/authpatterns/keys/{info.Id}/revoke", new() { ["reason"] = "rotated" });
        Assert.Equal(HttpStatusCode.SeeOther, revoked.StatusCode);
        Assert.Equal($"/authpatterns/keys/{info.Id}?done=revoked", revoked.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync("/webhooks/events", secret, HttpMethod.Post)).StatusCode);
        Assert.Equal("rotated", (await app.Manager.GetAsync(info.Id))!.RevocationReason);
        Assert.Contains("The key was revoked", await (await SendAsync(app, HttpMethod.Get, revoked.Headers.Location!.ToString())).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_rolls_a_key_and_changes_its_scopes_expiry_and_networks_under_the_management_rules()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapDashboard: true);
        var key = await app.CreateKeyAsync(scopes: ["events:write"]);
        var url = $"/authpatterns/keys/{key.Info.Id}";

        Assert.Equal(HttpStatusCode.SeeOther, (await SendAsync(app, HttpMethod.Post, url + "/scopes", new() { ["scopes"] = "events:write profile:read" })).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await SendAsync(app, HttpMethod.Post, url + "/expiry", new() { ["expiresAt"] = "2026-06-30 12:00" })).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await SendAsync(app, HttpMethod.Post, url + "/networks", new() { ["networks"] = "10.0.0.0/8, 192.0.2.0/24" })).StatusCode);
        var changed = (await app.Manager.GetAsync(key.Info.Id))!;
        Assert.Equal(["events:write", "profile:read"], changed.Scopes);
        Assert.Equal(new DateTimeOffset(2026, 6, 30, 12, 0, 0, TimeSpan.Zero), changed.ExpiresAt);
        Assert.Equal(["10.0.0.0/8", "192.0.2.0/24"], changed.AllowedNetworks);

        // A scope the caller does not hold is never granted; an invalid value is a 400 page, not a 500.
        var grant = await SendAsync(app, HttpMethod.Post, url + "/scopes", new() { ["scopes"] = "billing:admin" });
        Assert.Equal(HttpStatusCode.Forbidden, grant.StatusCode);
        Assert.Contains("billing:admin", await grant.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(app, HttpMethod.Post, url + "/networks", new() { ["networks"] = "10.0.0.0/99" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(app, HttpMethod.Post, url + "/expiry", new() { ["expiresAt"] = "tomorrow" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(app, HttpMethod.Post, "/authpatterns/keys", new() { ["owner"] = "o", ["scopes"] = "", ["days"] = "-1" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(app, HttpMethod.Post, "/authpatterns/keys/AAAAAAAAAAAA/revoke", new() { ["reason"] = "x" })).StatusCode);
        Assert.Equal(["events:write", "profile:read"], (await app.Manager.GetAsync(key.Info.Id))!.Scopes);

        var rolled = await SendAsync(app, HttpMethod.Post, url + "/roll", new() { ["graceHours"] = "2" });
        Assert.Equal(HttpStatusCode.Created, rolled.StatusCode);
        var successor = app.Use(NewKey().Match(await rolled.Content.ReadAsStringAsync()).Groups[1].Value);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync("/api/ping", successor, address: "10.9.9.9")).StatusCode);
        Assert.Equal(app.Time.GetUtcNow().AddHours(2), (await app.Manager.GetAsync(key.Info.Id))!.ExpiresAt);
    }

    [Theory]
    [InlineData("https://attacker.example", "cross-site")]
    [InlineData("null", null)]
    [InlineData(null, null)]
    public async Task Dashboard_refuses_a_forged_cross_site_form_post(string? origin, string? fetchSite)
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapDashboard: true);
        var key = await app.CreateKeyAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/authpatterns/keys/{key.Info.Id}/revoke")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["reason"] = "forged" }),
        };
        request.Headers.TryAddWithoutValidation("Authorization", Admin);
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);
        }

        var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null((await app.Manager.GetAsync(key.Info.Id))!.RevokedAt);
        Assert.True(app.Logs.Any(2050));
    }

    [Fact]
    public async Task Dashboard_usage_page_shows_requests_served_and_refused_by_outcome_per_key()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapDashboard: true);
        var key = await app.CreateKeyAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.SendAsync("/api/ping", key.Key)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync("/api/ping", app.Guess(key.Info.Id))).StatusCode);
        await app.Usage.FlushAsync();

        var html = await (await SendAsync(app, HttpMethod.Get, "/authpatterns/usage")).Content.ReadAsStringAsync();
        Assert.Contains("3 served in the last 24 hours (all keys).", html, StringComparison.Ordinal);
        Assert.Contains($"<tr data-key=\"{key.Info.Id}\">", html, StringComparison.Ordinal);
        Assert.Contains("<td data-outcome=\"valid\">3</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td data-outcome=\"invalid_secret\">1</td>", html, StringComparison.Ordinal);
        Assert.Contains("<svg class=\"chart\"", html, StringComparison.Ordinal);
        Assert.Contains("2026-01-01 00:00 UTC: 3 served", html, StringComparison.Ordinal);

        var keyPage = await (await SendAsync(app, HttpMethod.Get, $"/authpatterns/keys/{key.Info.Id}")).Content.ReadAsStringAsync();
        Assert.Contains("2026-01-01 00:00 UTC: 1 invalid secret", keyPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_posture_page_shows_every_finding_by_severity_and_every_endpoint_with_its_schemes_and_scopes()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapDashboard: true);
        await app.CreateKeyAsync(scopes: ["events:write", "ops:unused"]);
        var report = await app.App.Services.GetRequiredService<IAuthPostureReporter>().GetReportAsync();
        Assert.NotEmpty(report.Findings);

        var response = await SendAsync(app, HttpMethod.Get, "/authpatterns/posture");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<a href=\"/authpatterns/posture\" class=\"current\" aria-current=\"page\">Posture</a>", html, StringComparison.Ordinal);
        foreach (var same in report.Findings.GroupBy(f => (f.Id, f.Severity, f.Message)))
        {
            var severity = same.Key.Severity.ToString().ToLowerInvariant();
            var subjects = string.Concat(same.Select(f => $"<div class=\"subject\">{DashboardHtml.Encode(f.Subject)}</div>"));
            Assert.Contains($"<tr class=\"severity-{severity}\" data-finding=\"{same.Key.Id}\" data-severity=\"{severity}\"><td><code>{same.Key.Id}</code></td><td><span class=\"badge\">{severity}</span></td><td>{subjects}</td><td>{DashboardHtml.Encode(same.Key.Message)}</td></tr>", html, StringComparison.Ordinal);
        }

        Assert.Contains("data-finding=\"AP010\"", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"subject\">scope ops:unused</div>", html, StringComparison.Ordinal);
        Assert.Equal(report.Endpoints.Count, Regex.Count(html[html.IndexOf("id=\"endpoints\"", StringComparison.Ordinal)..], "<tr[ >]") - 1);
        Assert.Contains("<td><code>/webhooks/events</code></td><td>POST</td><td>ApiKey</td><td>events:write</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td><code>/ping</code></td><td>GET</td><td>anonymous</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_posture_page_encodes_scopes_and_subjects_from_the_key_store()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapDashboard: true);
        await app.CreateKeyAsync(scopes: ["events:write", "<img/src=x/onerror=alert(1)>"]);

        var response = await SendAsync(app, HttpMethod.Get, "/authpatterns/posture");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<div class=\"subject\">scope &lt;img/src=x/onerror=alert(1)&gt;</div>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("default-src 'none'; style-src 'nonce-", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_configuration_mistakes_fail_when_it_is_mapped_naming_the_option()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddLayeredAuth();
        await using var withoutKeys = builder.Build();
        var missing = Assert.Throws<InvalidOperationException>(() => withoutKeys.MapLayeredAuthDashboard("/authpatterns"));
        Assert.Contains("AddApiKeys", missing.Message, StringComparison.Ordinal);

        await using var app = await ApiKeyTestApp.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync("/api/ping", (await app.CreateKeyAsync()).Key)).StatusCode);
        Assert.Contains("RequiredScope", Assert.Throws<ArgumentException>(() => app.App.MapLayeredAuthDashboard("/x", o => o.RequiredScope = "two words")).Message, StringComparison.Ordinal);
        Assert.Contains("UsageWindow", Assert.Throws<ArgumentException>(() => app.App.MapLayeredAuthDashboard("/x", o => o.UsageWindow = TimeSpan.FromMinutes(90))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => app.App.MapLayeredAuthDashboard("authpatterns"));
        Assert.Equal("authpatterns:admin", LayeredAuthDashboardOptions.DefaultScope);
    }

    private static async Task<HttpResponseMessage> SendAsync(ApiKeyTestApp app, HttpMethod method, string path, Dictionary<string, string>? form = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", Admin);
        if (form is not null)
        {
            request.Content = new FormUrlEncodedContent(form);
            request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");
        }

        return await app.Client.SendAsync(request);
    }

    [GeneratedRegex("'nonce-([A-Za-z0-9+/=]+)'")]
    private static partial Regex NonceInPolicy();

    [GeneratedRegex("<code id=\"new-key\">([^<]+)</code>")]
    private static partial Regex NewKey();
}
