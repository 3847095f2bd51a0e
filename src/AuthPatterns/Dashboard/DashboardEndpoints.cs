using System.Globalization;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Posture;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Dashboard;

/// <summary>
/// The dashboard's routes and pages. Reads go through <see cref="ApiKeyManager"/> and the key store; every change goes
/// through the manager's guarded methods with the caller's rules, exactly as the management endpoints do, so the same
/// checks, refusals and audit log apply.
/// </summary>
internal static class DashboardEndpoints
{
    private const int MaxFormFields = 16;

    // The notices a redirect after a change may name; anything else in the query shows nothing.
    private static readonly Dictionary<string, string> Notices = new(StringComparer.Ordinal)
    {
        ["revoked"] = "The key was revoked; requests with it are refused from now on.",
        ["scopes"] = "The scopes were changed.",
        ["expiry"] = "The expiry was changed.",
        ["networks"] = "The allowed networks were changed.",
    };

    public static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, string prefix, LayeredAuthDashboardOptions options)
    {
        var group = endpoints.MapGroup(prefix).RequireScope(options.RequiredScope).ExcludeFromDescription();
        group.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            DashboardHtml.SecurityHeaders(http.Response, styleNonce: null);
            if (ForwardAuthCsrf.IsUnsafe(http.Request.Method))
            {
                var forwardAuth = http.RequestServices.GetRequiredService<IOptionsMonitor<ForwardAuthAuthenticationOptions>>().Get(ForwardAuthAuthenticationDefaults.AuthenticationScheme);
                if (!ForwardAuthCsrf.IsSatisfied(http.Request, forwardAuth))
                {
                    // Whatever scheme authenticated the caller: a form posted from another site never acts here.
                    http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DashboardEndpoints)).DashboardCrossSiteRefused(http.Request.Method, http.Request.Path.Value ?? "");
                    return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused", detail: $"Dashboard actions are accepted only from the dashboard's own pages (same origin, or the header '{forwardAuth.CsrfHeaderName}: {forwardAuth.CsrfHeaderValue}').");
                }

                if (!http.Request.HasFormContentType)
                {
                    return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "A form was expected", detail: "Dashboard actions take an HTML form (application/x-www-form-urlencoded).");
                }
            }

            return await next(invocation);
        });

        DashboardContext Dashboard(HttpContext http) => new(http, prefix, options);

        group.MapGet(DashboardNavigation.Keys, (HttpContext http) => KeysPageAsync(Dashboard(http), created: null, error: null));
        group.MapGet(DashboardNavigation.Usage, (HttpContext http) => UsagePageAsync(Dashboard(http)));
        group.MapGet(DashboardNavigation.Posture, (HttpContext http) => PosturePageAsync(Dashboard(http)));
        group.MapPost("/keys", (HttpContext http) => CreateAsync(Dashboard(http)));
        group.MapGet("/keys/{id}", (HttpContext http, string id, string? done) => KeyPageAsync(Dashboard(http), id, Notices.GetValueOrDefault(done ?? ""), created: null, error: null));
        group.MapPost("/keys/{id}/revoke", (HttpContext http, string id) => ChangeAsync(Dashboard(http), id, "revoked", async (d, form) =>
        {
            var reason = Field(form, "reason") is { Length: > 0 } given ? given : "revoked in the dashboard";
            return await d.Manager.RevokeCoreAsync(id, reason, d.Caller.Guard(mustHoldScopes: false), d.Aborted) is not null;
        }));
        group.MapPost("/keys/{id}/scopes", (HttpContext http, string id) => ChangeAsync(Dashboard(http), id, "scopes", async (d, form) =>
        {
            var scopes = ApiKeyManager.CheckScopes(Words(Field(form, "scopes")));
            if (d.Caller.NotHeld(scopes) is { Count: > 0 } missing)
            {
                throw new DashboardRefusal(StatusCodes.Status403Forbidden, ApiKeyManagementCaller.NotHeldDetail(missing, "These scopes cannot be granted"));
            }

            return await d.Manager.SetScopesCoreAsync(id, scopes, d.Caller.Guard(mustHoldScopes: false), d.Aborted) is not null;
        }));
        group.MapPost("/keys/{id}/expiry", (HttpContext http, string id) => ChangeAsync(Dashboard(http), id, "expiry", async (d, form) =>
            await d.Manager.SetExpiryCoreAsync(id, ExpiresAt(Field(form, "expiresAt")), d.Caller.Guard(mustHoldScopes: true), d.Aborted) is not null));
        group.MapPost("/keys/{id}/networks", (HttpContext http, string id) => ChangeAsync(Dashboard(http), id, "networks", async (d, form) =>
            await d.Manager.SetAllowedNetworksCoreAsync(id, Words(Field(form, "networks")), d.Caller.Guard(mustHoldScopes: true), d.Aborted) is not null));
        group.MapPost("/keys/{id}/roll", (HttpContext http, string id) => RollAsync(Dashboard(http), id));
        return group;
    }

    private static async Task KeysPageAsync(DashboardContext d, CreatedApiKey? created, string? error, int status = StatusCodes.Status200OK)
    {
        var keys = await d.VisibleKeysAsync();
        var now = d.Time.GetUtcNow();
        var html = new DashboardHtml();
        Messages(html, notice: null, error);
        if (created is not null)
        {
            NewSecret(html, d, created, "Created key");
        }

        html.Raw("<table id=\"keys\"><thead><tr><th>Key</th><th>Name</th><th>Owner</th><th>Tenant</th><th>Scopes</th><th>Created</th><th>Expires</th><th>Last used</th><th>State</th></tr></thead><tbody>");
        foreach (var key in keys)
        {
            html.Raw("<tr data-key=\"").Text(key.Id).Raw("\"><td><a href=\"").Text(d.KeyUrl(key.Id)).Raw("\"><code>").Text(key.Id).Raw("</code></a></td><td>").Text(key.Name)
                .Raw("</td><td>").Text(key.OwnerId).Raw("</td><td>").Text(key.Tenant).Raw("</td><td>").Text(string.Join(' ', key.Scopes))
                .Raw("</td><td>").Text(DashboardHtml.Time(key.CreatedAt)).Raw("</td><td>").Text(key.ExpiresAt is null ? "never" : DashboardHtml.Time(key.ExpiresAt))
                .Raw("</td><td>").Text(key.LastUsedAt is null ? "never" : DashboardHtml.Time(key.LastUsedAt)).Raw("</td><td>");
            State(html, key, now);
            html.Raw("</td></tr>");
        }

        if (keys.Count == 0)
        {
            html.Raw("<tr><td colspan=\"9\" class=\"muted\">No keys yet.</td></tr>");
        }

        html.Raw("</tbody></table><h2>Create a key</h2><div class=\"panel\"><form class=\"inline\" method=\"post\" action=\"").Text(d.Url("/keys")).Raw("\">")
            .Raw("<label>Owner<input name=\"owner\" required maxlength=\"256\" value=\"").Text(d.Caller.Subject).Raw("\"></label>")
            .Raw("<label>Tenant<input name=\"tenant\" maxlength=\"256\" value=\"").Text(d.Caller.Tenant).Raw("\"></label>")
            .Raw("<label>Name<input name=\"name\" maxlength=\"256\"></label>")
            .Raw("<label>Scopes (space-separated)<input name=\"scopes\" required size=\"28\"></label>")
            .Raw("<label>Expires in days (blank: default)<input name=\"days\" inputmode=\"numeric\" size=\"6\"></label>")
            .Raw("<label>Networks (CIDR, blank: anywhere)<input name=\"networks\" size=\"20\"></label>")
            .Raw("<label>Test key<input type=\"checkbox\" name=\"test\" value=\"true\"></label>")
            .Raw("<button type=\"submit\">Create</button></form></div>");
        await html.WriteAsync(d.Http, d, "API keys", DashboardNavigation.Keys, status);
    }

    private static async Task KeyPageAsync(DashboardContext d, string id, string? notice, CreatedApiKey? created, string? error, int status = StatusCodes.Status200OK)
    {
        var key = await d.VisibleKeyAsync(id);
        if (key is null)
        {
            var missing = new DashboardHtml();
            Messages(missing, notice: null, "There is no such key.");
            await missing.WriteAsync(d.Http, d, "Key not found", "", StatusCodes.Status404NotFound);
            return;
        }

        var now = d.Time.GetUtcNow();
        var html = new DashboardHtml();
        Messages(html, notice, error);
        if (created is not null)
        {
            NewSecret(html, d, created, "Successor key");
        }

        html.Raw("<div class=\"panel\"><table id=\"key\"><tbody>");
        Row(html, "Id", key.Id);
        Row(html, "Name", key.Name);
        Row(html, "Owner", key.OwnerId);
        Row(html, "Tenant", key.Tenant);
        Row(html, "Scopes", string.Join(' ', key.Scopes));
        Row(html, "Created", DashboardHtml.Time(key.CreatedAt));
        Row(html, "Expires", key.ExpiresAt is null ? "never" : DashboardHtml.Time(key.ExpiresAt));
        Row(html, "Last used", key.LastUsedAt is null ? "never" : $"{DashboardHtml.Time(key.LastUsedAt)} from {key.LastUsedAddress}");
        Row(html, "Networks", key.AllowedNetworks.Count == 0 ? "anywhere" : string.Join(' ', key.AllowedNetworks));
        if (key.RolledFromId is not null)
        {
            Row(html, "Rolled from", key.RolledFromId);
        }
        if (key.RevokedAt is not null)
        {
            Row(html, "Revoked", $"{DashboardHtml.Time(key.RevokedAt)}: {key.RevocationReason}");
        }

        html.Raw("<tr><th>State</th><td>");
        State(html, key, now);
        html.Raw("</td></tr></tbody></table></div>");

        var hours = DashboardCharts.Hours(now, d.Options.UsageWindow);
        var counts = await d.Store.ListUsageCountsAsync(key.Id, hours[0], d.Aborted);
        UsageCharts(html, hours, counts, $"key {key.Id}");

        if (key.RevokedAt is null)
        {
            var action = d.KeyUrl(key.Id);
            html.Raw("<h2>Change</h2><div class=\"panel\">")
                .Raw("<form class=\"inline\" method=\"post\" action=\"").Text(action + "/scopes").Raw("\"><label>Scopes<input name=\"scopes\" size=\"36\" value=\"").Text(string.Join(' ', key.Scopes)).Raw("\"></label><button type=\"submit\">Set scopes</button></form><br>")
                .Raw("<form class=\"inline\" method=\"post\" action=\"").Text(action + "/expiry").Raw("\"><label>Expires at (UTC, blank: never)<input name=\"expiresAt\" placeholder=\"2030-01-31 12:00\" value=\"").Text(key.ExpiresAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)).Raw("\"></label><button type=\"submit\">Set expiry</button></form><br>")
                .Raw("<form class=\"inline\" method=\"post\" action=\"").Text(action + "/networks").Raw("\"><label>Networks (CIDR, blank: anywhere)<input name=\"networks\" size=\"36\" value=\"").Text(string.Join(' ', key.AllowedNetworks)).Raw("\"></label><button type=\"submit\">Set networks</button></form><br>")
                .Raw("<form class=\"inline\" method=\"post\" action=\"").Text(action + "/roll").Raw("\"><label>Grace period of this key (hours)<input name=\"graceHours\" value=\"24\" size=\"6\"></label><button type=\"submit\">Roll</button></form><br>")
                .Raw("<form class=\"inline\" method=\"post\" action=\"").Text(action + "/revoke").Raw("\"><label>Reason<input name=\"reason\" size=\"36\" maxlength=\"1024\"></label><button type=\"submit\" class=\"danger\" id=\"revoke\">Revoke</button></form>")
                .Raw("</div>");
        }

        await html.WriteAsync(d.Http, d, $"Key {key.Id}", "", status);
    }

    private static async Task UsagePageAsync(DashboardContext d)
    {
        var now = d.Time.GetUtcNow();
        var hours = DashboardCharts.Hours(now, d.Options.UsageWindow);
        var keys = await d.VisibleKeysAsync();
        var visible = keys.ToDictionary(k => k.Id, StringComparer.Ordinal);
        var counts = (await d.Store.ListUsageCountsAsync(null, hours[0], d.Aborted)).Where(c => visible.ContainsKey(c.KeyId)).ToList();

        var html = new DashboardHtml();
        UsageCharts(html, hours, counts, "all keys");

        html.Raw("<h2>Per key</h2><table id=\"usage\"><thead><tr><th>Key</th><th>Name</th><th>Owner</th>");
        foreach (var outcome in ApiKeyUsageCount.CountedOutcomes)
        {
            html.Raw("<th>").Text(DashboardCharts.Labels[outcome]).Raw("</th>");
        }

        html.Raw("</tr></thead><tbody>");
        var byKey = counts.GroupBy(c => c.KeyId).OrderByDescending(g => g.Sum(c => c.Count));
        foreach (var group in byKey)
        {
            var key = visible[group.Key];
            html.Raw("<tr data-key=\"").Text(key.Id).Raw("\"><td><a href=\"").Text(d.KeyUrl(key.Id)).Raw("\"><code>").Text(key.Id).Raw("</code></a></td><td>").Text(key.Name).Raw("</td><td>").Text(key.OwnerId).Raw("</td>");
            foreach (var outcome in ApiKeyUsageCount.CountedOutcomes)
            {
                html.Raw("<td data-outcome=\"").Text(outcome).Raw("\">").Text(group.Where(c => c.Outcome == outcome).Sum(c => c.Count).ToString(CultureInfo.InvariantCulture)).Raw("</td>");
            }

            html.Raw("</tr>");
        }

        if (counts.Count == 0)
        {
            html.Raw("<tr><td colspan=\"10\" class=\"muted\">No requests with API keys in this window.</td></tr>");
        }

        html.Raw("</tbody></table><p class=\"muted\">Counts are written in batches, so the last few seconds may not show yet. Hours are UTC.</p>");
        await html.WriteAsync(d.Http, d, "Usage", DashboardNavigation.Usage);
    }

    private static async Task PosturePageAsync(DashboardContext d)
    {
        var report = await d.Http.RequestServices.GetRequiredService<IAuthPostureReporter>().GetReportAsync(d.Aborted);
        var html = new DashboardHtml();
        var high = report.Findings.Count(f => f.Severity == AuthPostureSeverity.High);
        var warning = report.Findings.Count(f => f.Severity == AuthPostureSeverity.Warning);
        var info = report.Findings.Count(f => f.Severity == AuthPostureSeverity.Info);
        html.Raw("<p id=\"posture-summary\">").Text($"{report.Endpoints.Count} endpoints; findings: {high} high, {warning} warning, {info} info. Computed {DashboardHtml.Time(report.GeneratedAt)}; docs/posture.md explains each finding id.").Raw("</p>");

        html.Raw("<h2>Findings</h2><table id=\"findings\"><thead><tr><th>Id</th><th>Severity</th><th>Subject</th><th>Why</th></tr></thead><tbody>");
        // One row per kind of finding and sentence, listing its subjects: twenty endpoints with the same finding read as one.
        foreach (var same in report.Findings.GroupBy(f => (f.Id, f.Severity, f.Message)))
        {
            var severity = Severity(same.Key.Severity);
            html.Raw("<tr class=\"severity-").Raw(severity).Raw("\" data-finding=\"").Text(same.Key.Id).Raw("\" data-severity=\"").Raw(severity).Raw("\"><td><code>").Text(same.Key.Id)
                .Raw("</code></td><td><span class=\"badge\">").Raw(severity).Raw("</span></td><td>");
            foreach (var finding in same)
            {
                html.Raw("<div class=\"subject\">").Text(finding.Subject).Raw("</div>");
            }

            html.Raw("</td><td>").Text(same.Key.Message).Raw("</td></tr>");
        }

        if (report.Findings.Count == 0)
        {
            html.Raw("<tr><td colspan=\"4\" class=\"muted\">No findings.</td></tr>");
        }

        // An endpoint named by findings carries the most severe one's colour and their ids.
        var byEndpoint = report.Findings.ToLookup(f => f.Subject, StringComparer.Ordinal);
        html.Raw("</tbody></table><h2>Endpoints</h2><table id=\"endpoints\"><thead><tr><th>Route</th><th>Methods</th><th>Accepted schemes</th><th>Scopes (all of)</th><th>Scopes (any of)</th><th>Tenant</th><th>Findings</th></tr></thead><tbody>");
        foreach (var endpoint in report.Endpoints)
        {
            var findings = byEndpoint[AuthPostureReporter.Describe(endpoint)].ToList();
            html.Raw("<tr");
            if (findings.Count > 0)
            {
                html.Raw(" class=\"severity-").Raw(Severity(findings.Max(f => f.Severity))).Raw("\"");
            }

            html.Raw("><td><code>").Text(endpoint.Route).Raw("</code></td><td>").Text(endpoint.Methods.Count == 0 ? "any" : string.Join(", ", endpoint.Methods))
                .Raw("</td><td>").Text(endpoint.IsProtected ? (endpoint.AcceptedSchemes.Count == 0 ? "none registered" : string.Join(", ", endpoint.AcceptedSchemes)) : endpoint.AllowsAnonymous ? "anonymous" : "unprotected")
                .Raw("</td><td>").Text(string.Join(' ', endpoint.RequiredScopes))
                .Raw("</td><td>").Text(string.Join("; ", endpoint.AnyOfScopes.Select(set => string.Join(" or ", set))))
                .Raw("</td><td>").Text(endpoint.TenantRouteValue is null ? "" : $"route value {{{endpoint.TenantRouteValue}}}")
                .Raw("</td><td>").Text(string.Join(' ', findings.Select(f => f.Id).Distinct(StringComparer.Ordinal))).Raw("</td></tr>");
        }

        html.Raw("</tbody></table>");
        await html.WriteAsync(d.Http, d, "Auth posture", DashboardNavigation.Posture);
    }

    private static string Severity(AuthPostureSeverity severity) => severity switch
    {
        AuthPostureSeverity.High => "high",
        AuthPostureSeverity.Warning => "warning",
        _ => "info",
    };

    private static void UsageCharts(DashboardHtml html, IReadOnlyList<DateTimeOffset> hours, IReadOnlyList<ApiKeyUsageCount> counts, string of)
    {
        var served = counts.Where(c => c.Outcome == ApiKeyOutcomes.Valid).Sum(c => c.Count);
        var refused = DashboardCharts.RefusedOutcomes.ToArray();
        html.Raw("<h2>Requests served per hour</h2><p class=\"muted\" id=\"served-total\">").Text($"{served} served in the last {hours.Count} hours ({of}).").Raw("</p>");
        html.Raw(DashboardCharts.Bars($"Requests served per hour, {of}", hours, counts, [ApiKeyOutcomes.Valid]));
        html.Raw("<h2>Refused attempts per hour, by outcome</h2><p class=\"legend\">");
        foreach (var outcome in refused)
        {
            var total = counts.Where(c => c.Outcome == outcome).Sum(c => c.Count);
            html.Raw("<span data-outcome=\"").Text(outcome).Raw("\"><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"").Raw(DashboardCharts.Colours[outcome]).Raw("\"/></svg>")
                .Text($"{DashboardCharts.Labels[outcome]}: {total}").Raw("</span>");
        }

        html.Raw("</p>").Raw(DashboardCharts.Bars($"Refused attempts per hour, {of}", hours, counts, refused));
    }

    private static async Task CreateAsync(DashboardContext d)
    {
        var form = await d.Http.Request.ReadFormAsync(d.Aborted);
        try
        {
            CheckForm(form);
            var owner = Field(form, "owner") is { Length: > 0 } o ? o : d.Caller.Subject ?? throw new ArgumentException("The owner is required.");
            var tenant = Field(form, "tenant") is { Length: > 0 } t ? t : null;
            var scopes = ApiKeyManager.CheckScopes(Words(Field(form, "scopes")));
            ApiKeyManager.CheckText(owner, ApiKeyManager.MaxTextLength, "owner id", "owner", required: true);
            ApiKeyManager.CheckText(tenant, ApiKeyManager.MaxTextLength, "tenant", "tenant", required: false);
            if (!d.Caller.InTenant(tenant))
            {
                throw new DashboardRefusal(StatusCodes.Status403Forbidden, $"The caller creates keys in its own tenant '{d.Caller.Tenant}' only.");
            }

            if (d.Caller.NotHeld(scopes) is { Count: > 0 } missing)
            {
                throw new DashboardRefusal(StatusCodes.Status403Forbidden, ApiKeyManagementCaller.NotHeldDetail(missing, "These scopes cannot be granted"));
            }

            TimeSpan? lifetime = Field(form, "days") is { Length: > 0 } days
                ? long.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 36_500
                    ? TimeSpan.FromDays(n)
                    : throw new ArgumentException("Expires in days must be a whole number from 1 to 36500.")
                : null;
            var created = await d.Manager.CreateAsync(
                new ApiKeyCreateRequest
                {
                    OwnerId = owner,
                    Tenant = tenant,
                    Name = Field(form, "name") is { Length: > 0 } name ? name : null,
                    Scopes = scopes,
                    Lifetime = lifetime,
                    AllowedNetworks = Words(Field(form, "networks")),
                    IsTest = Field(form, "test") == "true",
                },
                d.Aborted);
            await KeysPageAsync(d, created, error: null, StatusCodes.Status201Created);
        }
        catch (Exception exception) when (Refusal(exception) is { } refusal)
        {
            await KeysPageAsync(d, created: null, refusal.Message, refusal.Status);
        }
    }

    private static async Task RollAsync(DashboardContext d, string id)
    {
        var form = await d.Http.Request.ReadFormAsync(d.Aborted);
        try
        {
            CheckForm(form);
            var grace = Field(form, "graceHours") is { Length: > 0 } hours
                ? long.TryParse(hours, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 8_760
                    ? TimeSpan.FromHours(n)
                    : throw new ArgumentException("The grace period must be a whole number of hours from 0 to 8760.")
                : TimeSpan.FromHours(24);
            var rolled = await d.Manager.RollCoreAsync(id, grace, d.Caller.Guard(mustHoldScopes: true), d.Aborted);
            if (rolled is null)
            {
                await KeyPageAsync(d, id, notice: null, created: null, error: null);
                return;
            }

            await KeyPageAsync(d, rolled.Info.Id, "The key was rolled. The old key keeps working until its new expiry.", rolled, error: null, StatusCodes.Status201Created);
        }
        catch (Exception exception) when (Refusal(exception) is { } refusal)
        {
            await KeyPageAsync(d, id, notice: null, created: null, refusal.Message, refusal.Status);
        }
    }

    private static async Task ChangeAsync(DashboardContext d, string id, string done, Func<DashboardContext, IFormCollection, Task<bool>> change)
    {
        var form = await d.Http.Request.ReadFormAsync(d.Aborted);
        try
        {
            CheckForm(form);
            if (!await change(d, form))
            {
                await KeyPageAsync(d, id, notice: null, created: null, error: null);
                return;
            }

            // Post, then redirect, then get: a reload does not repeat the change.
            d.Http.Response.StatusCode = StatusCodes.Status303SeeOther;
            d.Http.Response.Headers.Location = d.KeyUrl(id) + "?done=" + done;
        }
        catch (Exception exception) when (Refusal(exception) is { } refusal)
        {
            await KeyPageAsync(d, id, notice: null, created: null, refusal.Message, refusal.Status);
        }
    }

    // The manager's refusals, translated as the management endpoints translate them: invalid input 400, a key hidden
    // from the caller 404, a refused grant 403, a state that forbids the change 409. Nothing was written in any case.
    private static (int Status, string Message)? Refusal(Exception exception) => exception switch
    {
        DashboardRefusal refusal => (refusal.Status, refusal.Message),
        ArgumentException argument => (StatusCodes.Status400BadRequest, argument.ParamName is { } name ? argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : argument.Message),
        ApiKeyManagementDeniedException { Hidden: true } => (StatusCodes.Status404NotFound, "There is no such key."),
        ApiKeyManagementDeniedException denied => (StatusCodes.Status403Forbidden, denied.Message),
        InvalidOperationException conflict => (StatusCodes.Status409Conflict, conflict.Message),
        _ => null,
    };

    private static void CheckForm(IFormCollection form)
    {
        if (form.Count > MaxFormFields || form.Files.Count > 0)
        {
            throw new ArgumentException("The form has unexpected fields.");
        }
    }

    private static string? Field(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) && values.Count == 1 ? values[0]?.Trim() : null;

    private static List<string> Words(string? value) =>
        [.. (value ?? "").Split([' ', ',', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries)];

    private static DateTimeOffset? ExpiresAt(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return DateTimeOffset.TryParseExact(value, ["yyyy-MM-dd HH:mm", "yyyy-MM-ddTHH:mm", "yyyy-MM-dd"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new ArgumentException("The expiry must be a UTC time like 2030-01-31 12:00, or blank for never.");
    }

    private static void Messages(DashboardHtml html, string? notice, string? error)
    {
        if (error is not null)
        {
            html.Raw("<div class=\"panel error\" role=\"alert\" id=\"error\">").Text(error).Raw("</div>");
        }

        if (notice is not null)
        {
            html.Raw("<div class=\"panel notice\" role=\"status\" id=\"notice\">").Text(notice).Raw("</div>");
        }
    }

    private static void NewSecret(DashboardHtml html, DashboardContext d, CreatedApiKey created, string what)
    {
        html.Raw("<div class=\"panel secret\" id=\"secret\"><strong>").Text(what).Raw(" <a href=\"").Text(d.KeyUrl(created.Info.Id)).Raw("\">").Text(created.Info.Id)
            .Raw("</a>. Copy the key now: it is shown this once and not stored.</strong><p><code id=\"new-key\">").Text(created.Key).Raw("</code></p></div>");
    }

    private static void Row(DashboardHtml html, string name, string? value) =>
        html.Raw("<tr><th>").Text(name).Raw("</th><td>").Text(value).Raw("</td></tr>");

    private static void State(DashboardHtml html, ApiKeyInfo key, DateTimeOffset now)
    {
        var (state, css) = key.RevokedAt is not null ? ("revoked", "state-revoked")
            : key.ExpiresAt <= now ? ("expired", "state-expired")
            : ("active", "state-active");
        html.Raw("<span class=\"").Raw(css).Raw("\">").Text(state).Raw("</span>");
        if (key.IsTest)
        {
            html.Raw(" <span class=\"muted\">test</span>");
        }
    }

    private sealed class DashboardRefusal(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }
}
