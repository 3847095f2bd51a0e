using AuthPatterns.ApiKeys;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>
/// Revocations made while other changes of the same key are under way: none is lost, and a roll racing a revocation
/// either happened before it (and the old key is revoked all the same) or fails with nothing stored.
/// </summary>
public sealed class ApiKeyLifecycleRaceTests
{
    [Fact]
    public async Task Finding_8_3_roll_revoke_and_scope_changes_racing_200_times_lose_no_revocation()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        await LifecycleRace.RunAsync(app.Manager, async id => (await app.Store.FindByIdAsync(id))!, () => app.Store.Records, iterations: 200);
    }

    [Fact]
    public async Task Finding_8_3_a_write_made_on_a_copy_read_before_a_revocation_is_refused()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync(["events:write"]);
        var stale = (await app.Store.FindByIdAsync(created.Info.Id))!;

        Assert.True(await app.Manager.RevokeAsync(created.Info.Id, "leaked"));
        stale.Scopes = ["events:write", "billing:admin"];

        Assert.False(await app.Store.UpdateAsync(stale));
        Assert.False(await app.Store.RollAsync(new ApiKeyRecord { Id = "AAAAAAAAAAAA", OwnerId = "o", Hash = "h" }, stale));
        var stored = (await app.Store.FindByIdAsync(created.Info.Id))!;
        Assert.NotNull(stored.RevokedAt);
        Assert.Equal(["events:write"], stored.Scopes);
        Assert.Null(await app.Store.FindByIdAsync("AAAAAAAAAAAA"));

        // Even a current copy cannot clear a revocation.
        stored.RevokedAt = null;
        stored.RevocationReason = null;
        Assert.True(await app.Store.UpdateAsync(stored));
        Assert.Equal("leaked", (await app.Store.FindByIdAsync(created.Info.Id))!.RevocationReason);
    }

    [Fact]
    public async Task Finding_8_3_a_roll_whose_key_is_revoked_between_read_and_write_fails_and_stores_no_successor()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync(["events:write"]);
        var manager = app.Manager;
        var revoked = false;

        // The key is revoked right after the roll has read it: the roll's write must find the version changed.
        var roll = manager.RollCoreAsync(created.Info.Id, TimeSpan.FromHours(1), guard: _ =>
        {
            if (!revoked)
            {
                revoked = true;
                Assert.True(manager.RevokeAsync(created.Info.Id, "leaked").GetAwaiter().GetResult());
            }
        }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => roll);
        Assert.Contains("revoked", error.Message, StringComparison.Ordinal);
        Assert.Single(app.Store.Records);
        Assert.NotNull(app.Store.Records[0].RevokedAt);
    }

    [Fact]
    public async Task Finding_15_8_a_roll_with_a_huge_grace_period_is_refused_before_anything_is_written()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync(["events:write"]);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => app.Manager.RollAsync(created.Info.Id, TimeSpan.MaxValue));
        Assert.Contains("at most 365 days", error.Message, StringComparison.Ordinal);
        Assert.Single(app.Store.Records);

        // The largest expiry rolls without overflowing: the successor keeps the largest expiry.
        await app.Manager.SetExpiryAsync(created.Info.Id, DateTimeOffset.MaxValue);
        var rolled = await app.Manager.RollAsync(created.Info.Id, ApiKeyManager.MaxGracePeriod);
        app.Use(rolled!.Key);
        Assert.Equal(DateTimeOffset.MaxValue, rolled.Info.ExpiresAt);
        Assert.Equal(app.Time.GetUtcNow() + ApiKeyManager.MaxGracePeriod, (await app.Manager.GetAsync(created.Info.Id))!.ExpiresAt);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => app.Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["a"], Lifetime = TimeSpan.MaxValue }));
    }

    [Theory]
    [InlineData("owner", 257)]
    [InlineData("tenant", 257)]
    [InlineData("name", 257)]
    public async Task Finding_15_2_texts_over_the_column_limits_are_refused_with_a_clear_message(string field, int length)
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        await app.CreateKeyAsync(["events:write"]);
        var text = new string('x', length);
        var request = new ApiKeyCreateRequest
        {
            OwnerId = field == "owner" ? text : "o",
            Tenant = field == "tenant" ? text : null,
            Name = field == "name" ? text : null,
            Scopes = ["a"],
        };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => app.Manager.CreateAsync(request));
        Assert.Contains($"{length} characters long; at most 256", error.Message, StringComparison.Ordinal);
        Assert.Single(app.Store.Records);
    }

    [Theory]
    [InlineData("leaked\0")]
    [InlineData("line\nforged")]
    [InlineData("\u001b]52;c;aGk=\u0007")]
    [InlineData("unpaired surrogate")]
    public async Task Finding_15_2_a_reason_with_control_characters_is_refused_before_anything_is_written(string reason)
    {
        if (reason == "unpaired surrogate")
        {
            reason = "half " + (char)0xD83D + " pair";
        }

        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync(["events:write"]);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => app.Manager.RevokeAsync(created.Info.Id, reason));
        Assert.Contains("revocation reason", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(reason, error.Message, StringComparison.Ordinal);
        Assert.Null(app.Store.Records[0].RevokedAt);
        Assert.True(await app.Manager.RevokeAsync(created.Info.Id, "leaked \ud83d\ude00"));
    }
}
