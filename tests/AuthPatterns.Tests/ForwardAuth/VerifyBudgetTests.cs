using System.Diagnostics.Metrics;
using System.Net;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>
/// The per-second verify budget (<c>MaxVerificationsPerSecond</c>): a flood of made-up cookies, each new so no cache
/// answers it, costs the portal at most the budget per second; the rest is shed with 503 and <c>Retry-After</c>, while
/// cached answers never spend it and a session the portal vouched for recently keeps a reserved share.
/// </summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class VerifyBudgetTests : IAsyncLifetime
{
    private const string AliceCookie = "authelia_session=alice-0123456789abcdef";
    private const string BobCookie = "authelia_session=bob-0123456789abcdef";

    // Ten calls a second: eight open to any cookie, two kept for sessions the portal vouched for recently.
    private const int Budget = 10;
    private const int OpenShare = 8;
    private const int ReservedShare = 2;

    private FakePortal _portal = null!;

    public async Task InitializeAsync()
    {
        _portal = await FakePortal.StartAsync();
        _portal.Add("alice-0123456789abcdef", new PortalUser("alice", "Alice Liddell", "alice@example.com", ["admins"]));
        _portal.Add("bob-0123456789abcdef", new PortalUser("bob", "Bob", "bob@example.com", ["admins"]));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private Task<ForwardAuthTestApp> Authelia(Action<ForwardAuthAuthenticationOptions>? more = null) =>
        ForwardAuthTestApp.StartAsync(o =>
        {
            o.UseAuthelia(_portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
            o.MapGroup("admins", "orders:read");
            o.MaxVerificationsPerSecond = Budget;
            more?.Invoke(o);
        });

    private static string Bogus(int round, int i) => $"authelia_session=bogus-{round}-{i:D3}-0123456789abcdef";

    private static Task<HttpResponseMessage[]> FloodAsync(ForwardAuthTestApp app, int round, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(i => app.GetAsync("/app/dashboard", Bogus(round, i))))
            .WaitAsync(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task The_cache_gauges_count_signed_in_answers_apart_from_sessions_the_portal_did_not_know()
    {
        await using var app = await Authelia();
        var meters = app.App.Services.GetRequiredService<IMeterFactory>();
        using var answers = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.forward_auth.cache_entries");
        using var refused = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.forward_auth.not_signed_in_entries");

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        await FloodAsync(app, round: 1, count: 3);

        answers.RecordObservableInstruments();
        refused.RecordObservableInstruments();
        Assert.Equal(1, answers.LastMeasurement!.Value);
        Assert.Equal(3, refused.LastMeasurement!.Value);
        Assert.Equal(LayeredAuthSchemes.ForwardAuth, refused.LastMeasurement.Tags["scheme"]);
    }

    [Fact]
    public async Task A_flood_of_distinct_bogus_cookies_within_one_second_makes_at_most_the_budget_of_portal_calls_and_refills_a_second_later()
    {
        await using var app = await Authelia();
        var meters = app.App.Services.GetRequiredService<IMeterFactory>();
        using var verifications = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.forward_auth.verifications");
        using var outcomes = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.authentication.outcomes");

        // 50 made-up sessions in one instant (the clock does not move): the portal hears of the open share only.
        var answers = await FloodAsync(app, round: 1, count: 50);

        Assert.Equal(OpenShare, _portal.Calls);
        Assert.Equal(OpenShare, answers.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        var shed = answers.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(50 - OpenShare, shed.Count);
        Assert.All(shed, r => Assert.Equal("5", r.Headers.GetValues("Retry-After").Single()));
        Assert.All(shed, r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));

        // Its own outcome, in both counters; one warning for the whole second, naming the budget and no cookie.
        Assert.Equal(50 - OpenShare, Count(verifications, "rate_limited"));
        Assert.Equal(50 - OpenShare, Count(outcomes, "rate_limited"));
        Assert.Equal(0, Count(verifications, "overloaded"));
        var warnings = app.Logs.Entries.Where(e => e.EventId == 4018).ToList();
        Assert.Single(warnings);
        Assert.Contains($"{Budget} calls per second", warnings[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains("bogus-", StringComparison.Ordinal));

        // A browser is not sent to the portal's login page for it: the portal was not asked, so nothing says who it is.
        var browser = await app.GetAsync("/app/dashboard", Bogus(1, 50), "text/html");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, browser.StatusCode);
        Assert.Null(browser.Headers.Location);
        Assert.Equal(OpenShare, _portal.Calls);

        // The refused ones again, in the same second: the "not signed in" cache answers them, with no call and no budget.
        var refused = Enumerable.Range(0, 50).Where(i => answers[i].StatusCode == HttpStatusCode.Unauthorized).ToList();
        var again = await Task.WhenAll(refused.Select(i => app.GetAsync("/app/dashboard", Bogus(1, i))));
        Assert.All(again, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(OpenShare, _portal.Calls);

        // Just short of a second, the budget is still spent.
        app.Time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/app/dashboard", Bogus(2, 0))).StatusCode);
        Assert.Equal(OpenShare, _portal.Calls);

        // A second after the window began, it is whole again, and spent again by the next flood.
        app.Time.Advance(TimeSpan.FromMilliseconds(1));
        var next = await FloodAsync(app, round: 3, count: 50);
        Assert.Equal(2 * OpenShare, _portal.Calls);
        Assert.Equal(OpenShare, next.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(50 - OpenShare, next.Count(r => r.StatusCode == HttpStatusCode.ServiceUnavailable));
        Assert.Equal(2, app.Logs.Entries.Count(e => e.EventId == 4018));
    }

    [Fact]
    public async Task A_signed_in_user_is_served_throughout_a_flood_from_the_cache_and_from_the_reserve_once_the_answer_expires()
    {
        await using var app = await Authelia();
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(1, _portal.Calls);

        // The flood spends what is left of the open share; Alice's cached answer serves her without spending anything.
        var flood = await FloodAsync(app, round: 1, count: 50);
        Assert.Equal(OpenShare - 1, flood.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        }

        Assert.Equal(OpenShare, _portal.Calls);

        // Her cached answer expires while the flood goes on: the flood spends the whole open share of the new second.
        app.Time.Advance(TimeSpan.FromSeconds(31));
        var later = await FloodAsync(app, round: 2, count: 50);
        Assert.Equal(OpenShare, later.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(2 * OpenShare, _portal.Calls);

        // Alice's session was vouched for recently, so she is verified from the reserve; a made-up cookie is not, and a
        // session the portal knows but never vouched for here waits like any other cookie.
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/app/dashboard", Bogus(3, 0))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/app/dashboard", BobCookie)).StatusCode);
        Assert.Equal((2 * OpenShare) + 1, _portal.Calls);

        // The reserve is part of the budget, not added to it: two calls, then Alice waits too (another path is another
        // answer, so another call).
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard/a", AliceCookie)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/app/dashboard/b", AliceCookie)).StatusCode);
        Assert.Equal((2 * OpenShare) + ReservedShare, _portal.Calls);

        // And her newly cached answer serves her through the rest of the flood.
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal((2 * OpenShare) + ReservedShare, _portal.Calls);
    }

    [Fact]
    public async Task A_session_signed_out_here_or_refused_by_the_portal_loses_its_claim_on_the_reserve()
    {
        _portal.Add("carol-0123456789abcdef", new PortalUser("carol", "Carol", "carol@example.com", ["admins"]));
        const string CarolCookie = "authelia_session=carol-0123456789abcdef";
        await using var app = await Authelia();
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", CarolCookie)).StatusCode);

        // Alice signs out through this service; Carol's session ends at the portal, which says so after her answer expired.
        await app.GetAsync("/signout", AliceCookie);
        _portal.Sessions.TryRemove("carol-0123456789abcdef", out _);
        app.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", CarolCookie)).StatusCode);
        _portal.Add("carol-0123456789abcdef", new PortalUser("carol", "Carol", "carol@example.com", ["admins"]));

        // In the next second a flood spends the open share: neither session may spend the reserve any more.
        app.Time.Advance(TimeSpan.FromSeconds(6));
        await FloodAsync(app, round: 1, count: 50);
        var calls = _portal.Calls;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/app/dashboard", CarolCookie)).StatusCode);
        Assert.Equal(calls, _portal.Calls);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task A_verify_budget_below_one_call_per_second_fails_at_startup_naming_the_option(int perSecond)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => Authelia(o => o.MaxVerificationsPerSecond = perSecond));

        Assert.StartsWith("LayeredAuth:ForwardAuth:MaxVerificationsPerSecond ", string.Join(' ', error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void The_budget_turns_each_second_on_the_TimeProvider_and_keeps_a_quarter_for_recently_valid_sessions()
    {
        var time = new FakeTimeProvider();
        var budget = new ForwardAuthVerifyBudget(200, time);
        Assert.Equal(50, budget.Reserved);

        Assert.Equal(150, Enumerable.Range(0, 300).Count(_ => budget.TryTake()));
        Assert.Equal(50, Enumerable.Range(0, 300).Count(_ => budget.TryTakeReserved()));

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(budget.TryTake());
        Assert.False(budget.TryTakeReserved());

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(150, Enumerable.Range(0, 300).Count(_ => budget.TryTake()));
        Assert.Equal(50, Enumerable.Range(0, 300).Count(_ => budget.TryTakeReserved()));

        // Idle for a minute: one second's budget, never the minute's.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(150, Enumerable.Range(0, 300).Count(_ => budget.TryTake()));
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(2, 1, 1)]
    [InlineData(7, 6, 1)]
    [InlineData(10, 8, 2)]
    public void Small_budgets_keep_at_least_one_call_open_and_one_reserved_when_they_can(int perSecond, int open, int reserved)
    {
        var budget = new ForwardAuthVerifyBudget(perSecond, new FakeTimeProvider());

        Assert.Equal(open, Enumerable.Range(0, 20).Count(_ => budget.TryTake()));
        Assert.Equal(reserved, Enumerable.Range(0, 20).Count(_ => budget.TryTakeReserved()));
    }

    [Fact]
    public void Shed_requests_are_logged_at_most_once_a_second_with_their_number()
    {
        var time = new FakeTimeProvider();
        var budget = new ForwardAuthVerifyBudget(10, time);

        Assert.True(budget.ShouldWarn(out var first));
        Assert.Equal(1L, first);
        Assert.Equal(0, Enumerable.Range(0, 99).Count(i => budget.ShouldWarn(out var ignored)));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(budget.ShouldWarn(out var next));
        Assert.Equal(100L, next);
    }

    private static long Count(MetricCollector<long> collector, string outcome) =>
        collector.GetMeasurementSnapshot()
            .Where(m => m.Tags.TryGetValue("outcome", out var tag) && outcome.Equals(tag))
            .Sum(m => m.Value);
}
