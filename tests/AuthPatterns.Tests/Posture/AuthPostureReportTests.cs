using System.Security.Cryptography;
using AuthPatterns.ApiKeys;
using AuthPatterns.Posture;
using AuthPatterns.Tests.Jwt;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Posture.AuthPostureFindingIds;

namespace AuthPatterns.Tests.Posture;

/// <summary>Each finding, raised where the setup is risky and absent where it is not.</summary>
public sealed class AuthPostureReportTests
{
    private static readonly DateTimeOffset Now = PostureTestApp.Now;

    private static IEnumerable<AuthPostureFinding> Of(AuthPostureReport report, string id) => report.Findings.Where(f => f.Id == id);

    [Fact]
    public async Task Report_lists_each_endpoint_with_schemes_scopes_and_tenant()
    {
        await using var app = await PostureTestApp.StartAsync(
            a =>
            {
                a.MapGet("/tenants/{tenantId}/invoices", () => "").RequireScope("invoices:read").RequireAnyScope("billing:read", "billing:admin").RequireTenant("tenantId");
                a.MapPost("/webhooks/events", () => "").RequireScope("events:write").AllowSchemes(LayeredAuthSchemes.ApiKey);
                a.MapGet("/healthz", () => "").AllowAnonymous();
            },
            forwardAuth: _ => { });

        var report = await app.ReportAsync();

        var invoices = Assert.Single(report.Endpoints, e => e.Route == "/tenants/{tenantId}/invoices");
        Assert.Equal(["GET"], invoices.Methods);
        Assert.True(invoices.IsProtected);
        Assert.Equal([LayeredAuthSchemes.ApiKey, LayeredAuthSchemes.ForwardAuth], invoices.AcceptedSchemes);
        Assert.Equal(["invoices:read"], invoices.RequiredScopes);
        Assert.Equal(["billing:read", "billing:admin"], Assert.Single(invoices.AnyOfScopes));
        Assert.Equal("tenantId", invoices.TenantRouteValue);

        var webhook = Assert.Single(report.Endpoints, e => e.Route == "/webhooks/events");
        Assert.Equal(["POST"], webhook.Methods);
        Assert.Equal([LayeredAuthSchemes.ApiKey], webhook.AcceptedSchemes);

        var health = Assert.Single(report.Endpoints, e => e.Route == "/healthz");
        Assert.False(health.IsProtected);
        Assert.True(health.AllowsAnonymous);
        Assert.Empty(health.AcceptedSchemes);
    }

    [Fact]
    public async Task Report_survives_an_endpoint_naming_a_policy_nobody_registered()
    {
        await using var app = await PostureTestApp.StartAsync(a =>
        {
            a.MapGet("/api/orders", () => "").RequireScope("orders:read");
            a.MapGet("/api/legacy", () => "").RequireAuthorization("NoSuchPolicy");
        });

        var report = await app.ReportAsync();

        var legacy = Assert.Single(report.Endpoints, e => e.Route == "/api/legacy");
        Assert.True(legacy.IsProtected);
        Assert.Empty(legacy.AcceptedSchemes);
        Assert.Empty(Of(report, UnprotectedEndpoint));
    }

    [Fact]
    public async Task AP001_an_endpoint_without_authorization_beside_protected_ones_is_high()
    {
        await using var app = await PostureTestApp.StartAsync(a =>
        {
            a.MapGet("/api/orders", () => "").RequireScope("orders:read");
            a.MapGet("/api/export", () => "");
        });

        var finding = Assert.Single(Of(await app.ReportAsync(), UnprotectedEndpoint));
        Assert.Equal(AuthPostureSeverity.High, finding.Severity);
        Assert.Equal("GET /api/export", finding.Subject);
    }

    [Fact]
    public async Task AP001_an_explicit_AllowAnonymous_or_a_lone_public_prefix_is_not_flagged()
    {
        await using var app = await PostureTestApp.StartAsync(a =>
        {
            a.MapGet("/api/orders", () => "").RequireScope("orders:read");
            a.MapGet("/api/status", () => "").AllowAnonymous();
            a.MapGet("/public/about", () => "");
        });

        Assert.Empty(Of(await app.ReportAsync(), UnprotectedEndpoint));
    }

    [Fact]
    public async Task AP001_the_application_fallback_policy_counts_as_protection()
    {
        await using var app = await PostureTestApp.StartAsync(
            a =>
            {
                a.MapGet("/api/orders", () => "").RequireScope("orders:read");
                a.MapGet("/api/export", () => "");
            },
            more: l => l.Services.AddAuthorizationBuilder().SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build()));

        var report = await app.ReportAsync();
        Assert.Empty(Of(report, UnprotectedEndpoint));
        Assert.True(Assert.Single(report.Endpoints, e => e.Route == "/api/export").IsProtected);
    }

    [Fact]
    public async Task AP002_an_unsafe_cookie_endpoint_with_the_csrf_defence_off_is_high()
    {
        await using var app = await PostureTestApp.StartAsync(
            a =>
            {
                a.MapPost("/app/orders", () => "").RequireScope("orders:write").AllowSchemes(LayeredAuthSchemes.ForwardAuth);
                a.MapGet("/app/orders", () => "").RequireScope("orders:write").AllowSchemes(LayeredAuthSchemes.ForwardAuth);
            },
            forwardAuth: o => o.RequireCsrfDefence = false);

        var finding = Assert.Single(Of(await app.ReportAsync(), CookieWithoutCsrfDefence));
        Assert.Equal(AuthPostureSeverity.High, finding.Severity);
        Assert.Equal("POST /app/orders", finding.Subject);
    }

    [Fact]
    public async Task AP002_the_csrf_defence_on_or_an_endpoint_without_the_cookie_is_not_flagged()
    {
        await using (var on = await PostureTestApp.StartAsync(
            a => a.MapPost("/app/orders", () => "").RequireScope("orders:write").AllowSchemes(LayeredAuthSchemes.ForwardAuth),
            forwardAuth: _ => { }))
        {
            Assert.Empty(Of(await on.ReportAsync(), CookieWithoutCsrfDefence));
        }

        await using var off = await PostureTestApp.StartAsync(
            a => a.MapPost("/api/orders", () => "").RequireScope("orders:write").AllowSchemes(LayeredAuthSchemes.ApiKey),
            forwardAuth: o => o.RequireCsrfDefence = false);
        Assert.Empty(Of(await off.ReportAsync(), CookieWithoutCsrfDefence));
    }

    [Fact]
    public async Task AP003_api_keys_accepted_beside_the_cookie_is_a_warning()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/profile", () => "").RequireScope("profile:read"), forwardAuth: _ => { });

        var finding = Assert.Single(Of(await app.ReportAsync(), ApiKeyOnUserEndpoint));
        Assert.Equal(AuthPostureSeverity.Warning, finding.Severity);
        Assert.Equal("GET /api/profile", finding.Subject);
    }

    [Fact]
    public async Task AP003_a_cookie_only_endpoint_is_not_flagged()
    {
        await using var app = await PostureTestApp.StartAsync(
            a => a.MapGet("/api/profile", () => "").RequireScope("profile:read").AllowSchemes(LayeredAuthSchemes.ForwardAuth),
            forwardAuth: _ => { });

        Assert.Empty(Of(await app.ReportAsync(), ApiKeyOnUserEndpoint));
    }

    [Fact]
    public async Task AP004_the_cookie_on_a_webhook_endpoint_is_a_warning()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapPost("/webhooks/events", () => "").RequireScope("events:write"), forwardAuth: _ => { });

        var finding = Assert.Single(Of(await app.ReportAsync(), CookieOnWebhookEndpoint));
        Assert.Equal(AuthPostureSeverity.Warning, finding.Severity);
        Assert.Equal("POST /webhooks/events", finding.Subject);
    }

    [Fact]
    public async Task AP004_a_webhook_endpoint_allowing_only_api_keys_is_not_flagged()
    {
        await using var app = await PostureTestApp.StartAsync(
            a => a.MapPost("/webhooks/events", () => "").RequireScope("events:write").AllowSchemes(LayeredAuthSchemes.ApiKey),
            forwardAuth: _ => { });

        Assert.Empty(Of(await app.ReportAsync(), CookieOnWebhookEndpoint));
    }

    [Fact]
    public async Task AP005_and_AP006_jwt_accepting_any_lifetime_and_a_two_minute_skew_are_warnings()
    {
        using var key = RSA.Create(2048);
        await using var app = await JwtTestKit.StartHostAsync(
            new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(key, "k1"))), new FakeTimeProvider(Now), o => o.ClockSkew = TimeSpan.FromMinutes(2));

        var report = await app.Services.GetRequiredService<IAuthPostureReporter>().GetReportAsync();

        var lifetime = Assert.Single(Of(report, LongLivedTokens));
        Assert.Equal(AuthPostureSeverity.Warning, lifetime.Severity);
        Assert.Equal("LayeredAuth:Jwt:MaxTokenLifetime", lifetime.Subject);
        Assert.Equal(AuthPostureSeverity.Warning, Assert.Single(Of(report, WideClockSkew)).Severity);
    }

    [Fact]
    public async Task AP005_and_AP006_a_ten_minute_token_cap_and_the_default_skew_are_not_flagged()
    {
        using var key = RSA.Create(2048);
        await using var app = await JwtTestKit.StartHostAsync(
            new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(key, "k1"))), new FakeTimeProvider(Now), o => o.MaxTokenLifetime = TimeSpan.FromMinutes(10));

        var report = await app.Services.GetRequiredService<IAuthPostureReporter>().GetReportAsync();

        Assert.Empty(Of(report, LongLivedTokens));
        Assert.Empty(Of(report, WideClockSkew));
    }

    [Fact]
    public async Task AP005_a_cap_above_fifteen_minutes_is_flagged()
    {
        using var key = RSA.Create(2048);
        await using var app = await JwtTestKit.StartHostAsync(
            new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(key, "k1"))), new FakeTimeProvider(Now), o => o.MaxTokenLifetime = TimeSpan.FromHours(1));

        var report = await app.Services.GetRequiredService<IAuthPostureReporter>().GetReportAsync();

        Assert.Contains("01:00:00", Assert.Single(Of(report, LongLivedTokens)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AP007_an_active_key_without_expiry_is_a_warning()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1");

        var finding = Assert.Single(Of(await app.ReportAsync(), KeyWithoutExpiry));
        Assert.Equal(AuthPostureSeverity.Warning, finding.Severity);
        Assert.Equal("key AAAAAAAAAAA1", finding.Subject);
    }

    [Fact]
    public async Task AP007_a_key_with_an_expiry_or_a_revoked_one_is_not_flagged()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1", expires: Now.AddDays(89));
        await app.AddKeyAsync("AAAAAAAAAAA2", revoked: Now.AddHours(-1));

        Assert.Empty(Of(await app.ReportAsync(), KeyWithoutExpiry));
    }

    [Fact]
    public async Task AP008_a_key_unused_for_ninety_days_is_a_warning()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1", created: Now.AddDays(-200), expires: Now.AddDays(400), lastUsed: Now.AddDays(-91));
        await app.AddKeyAsync("AAAAAAAAAAA2", created: Now.AddDays(-95), expires: Now.AddDays(400));

        var findings = Of(await app.ReportAsync(), UnusedKey).ToList();
        Assert.Equal(["key AAAAAAAAAAA1", "key AAAAAAAAAAA2"], findings.Select(f => f.Subject));
        Assert.All(findings, f => Assert.Equal(AuthPostureSeverity.Warning, f.Severity));
    }

    [Fact]
    public async Task AP008_a_key_used_ten_days_ago_is_not_flagged()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1", created: Now.AddDays(-200), expires: Now.AddDays(400), lastUsed: Now.AddDays(-10));

        Assert.Empty(Of(await app.ReportAsync(), UnusedKey));
    }

    [Fact]
    public async Task AP009_a_key_past_half_its_lifetime_without_a_successor_is_info()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1", created: Now.AddDays(-60), expires: Now.AddDays(30), lastUsed: Now);

        var finding = Assert.Single(Of(await app.ReportAsync(), KeyWithoutSuccessor));
        Assert.Equal(AuthPostureSeverity.Info, finding.Severity);
        Assert.Equal("key AAAAAAAAAAA1", finding.Subject);
    }

    [Fact]
    public async Task AP009_a_rolled_key_or_one_in_its_first_half_is_not_flagged()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1", created: Now.AddDays(-60), expires: Now.AddDays(30), lastUsed: Now);
        await app.AddKeyAsync("AAAAAAAAAAA2", created: Now.AddDays(-1), expires: Now.AddDays(89), rolledFrom: "AAAAAAAAAAA1");

        Assert.Empty(Of(await app.ReportAsync(), KeyWithoutSuccessor));
    }

    [Fact]
    public async Task AP010_a_scope_granted_but_required_nowhere_is_info()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1", scopes: ["orders:read", "ordres:write"], expires: Now.AddDays(60));

        var finding = Assert.Single(Of(await app.ReportAsync(), ScopeRequiredNowhere));
        Assert.Equal(AuthPostureSeverity.Info, finding.Severity);
        Assert.Equal("scope ordres:write", finding.Subject);
    }

    [Fact]
    public async Task AP010_a_scope_some_endpoint_requires_is_not_flagged()
    {
        await using var app = await PostureTestApp.StartAsync(
            a => a.MapGet("/api/orders", () => "").RequireScope("orders:read").AllowSchemes(LayeredAuthSchemes.ApiKey),
            forwardAuth: o => o.MapGroup("staff", "orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1", scopes: ["orders:read"], expires: Now.AddDays(60));

        Assert.Empty(Of(await app.ReportAsync(), ScopeRequiredNowhere));
    }

    [Fact]
    public async Task AP011_a_required_scope_granted_nowhere_is_a_warning()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/reports", () => "").RequireAnyScope("reports:read", "orders:read"));
        await app.AddKeyAsync("AAAAAAAAAAA1", scopes: ["orders:read"], expires: Now.AddDays(60));
        await app.AddKeyAsync("AAAAAAAAAAA2", scopes: ["reports:read"], expires: Now.AddDays(60), revoked: Now.AddDays(-1));

        var finding = Assert.Single(Of(await app.ReportAsync(), ScopeGrantedNowhere));
        Assert.Equal(AuthPostureSeverity.Warning, finding.Severity);
        Assert.Equal("scope reports:read", finding.Subject);
    }

    [Fact]
    public async Task AP011_a_scope_granted_by_a_portal_group_is_not_flagged_and_one_bearer_tokens_may_carry_is_info()
    {
        await using (var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/reports", () => "").RequireScope("reports:read"), forwardAuth: o => o.MapGroup("staff", "reports:read")))
        {
            Assert.Empty(Of(await app.ReportAsync(), ScopeGrantedNowhere));
        }

        using var key = RSA.Create(2048);
        await using var jwt = await JwtTestKit.StartHostAsync(new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(key, "k1"))), new FakeTimeProvider(Now));
        var report = await jwt.Services.GetRequiredService<IAuthPostureReporter>().GetReportAsync();
        Assert.All(Of(report, ScopeGrantedNowhere), f => Assert.Equal(AuthPostureSeverity.Info, f.Severity));
        Assert.Contains(Of(report, ScopeGrantedNowhere), f => f.Subject == "scope reports:read");
    }

    [Fact]
    public async Task AP012_an_unreadable_key_store_is_reported_not_thrown()
    {
        await using var app = await PostureTestApp.StartAsync(
            a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"),
            more: l => l.Services.AddSingleton<IApiKeyStore>(new UnlistableStore()));

        var report = await app.ReportAsync();

        Assert.Equal(AuthPostureSeverity.Warning, Assert.Single(Of(report, KeyStoreUnreadable)).Severity);
        Assert.True(app.Logs.Any(1102));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("secret connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AP012_a_readable_key_store_raises_nothing()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/orders", () => "").RequireScope("orders:read"));

        Assert.Empty(Of(await app.ReportAsync(), KeyStoreUnreadable));
    }

    [Fact]
    public async Task Development_startup_logs_the_counts_and_each_high_finding_once()
    {
        await using var app = await PostureTestApp.StartAsync(
            a =>
            {
                a.MapGet("/api/orders", () => "").RequireScope("orders:read");
                a.MapGet("/api/export", () => "");
            },
            environment: "Development");

        var summary = Assert.Single(app.Logs.Entries, e => e.EventId == 1100);
        Assert.Contains("1 high", summary.Message, StringComparison.Ordinal);
        var high = Assert.Single(app.Logs.Entries, e => e.EventId == 1101);
        Assert.Contains("AP001", high.Message, StringComparison.Ordinal);
        Assert.Contains("GET /api/export", high.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_startup_logs_no_posture()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapGet("/api/export", () => ""));

        Assert.False(app.Logs.Any(1100));
        Assert.False(app.Logs.Any(1101));
    }

    private sealed class UnlistableStore : IApiKeyStore
    {
        public Task<ApiKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default) => throw Down();

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default) => throw Down();

        public Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => throw Down();

        public Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => throw Down();

        public Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default) => throw Down();

        public Task UpdateHashAsync(string keyId, string hash, CancellationToken cancellationToken = default) => throw Down();

        public Task RecordLastUsesAsync(IReadOnlyCollection<ApiKeyLastUse> uses, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task AddUsageEventsAsync(IReadOnlyCollection<ApiKeyUsageEvent> events, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IReadOnlyList<ApiKeyUsageEvent>> ListUsageEventsAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default) => throw Down();

        public Task<int> DeleteUsageEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) => Task.FromResult(0);

        public Task AddUsageCountsAsync(IReadOnlyCollection<ApiKeyUsageCount> counts, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IReadOnlyList<ApiKeyUsageCount>> ListUsageCountsAsync(string? keyId, DateTimeOffset since, CancellationToken cancellationToken = default) => throw Down();

        public Task<int> DeleteUsageCountsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) => Task.FromResult(0);

        private static InvalidOperationException Down() => new("database down: Host=db;Password=secret connection");
    }
}
