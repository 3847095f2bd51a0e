using AuthPatterns.ApiKeys;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>
/// The race of the lifecycle, shared with the database tests: per iteration one key, then roll, revoke, scope change
/// and expiry change started together; afterwards the key must be revoked, and a roll either stored a successor (when
/// it won) or nothing at all.
/// </summary>
public static class LifecycleRace
{
    /// <summary>Runs the race; returns how many rolls won (stored a successor) and how many were refused.</summary>
    public static async Task<(int RollsWon, int RollsRefused)> RunAsync(ApiKeyManager manager, Func<string, Task<ApiKeyRecord>> read, Func<IReadOnlyList<ApiKeyRecord>> all, int iterations)
    {
        int won = 0, refused = 0;
        for (var i = 0; i < iterations; i++)
        {
            var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "racer", Scopes = ["events:write"], Lifetime = TimeSpan.FromDays(30) });
            var id = created.Info.Id;
            using var start = new Barrier(4);
            var roll = Task.Run(async () =>
            {
                start.SignalAndWait();
                try
                {
                    return await manager.RollAsync(id, TimeSpan.FromHours(1));
                }
                catch (InvalidOperationException)
                {
                    return null;
                }
            });
            var revoke = Task.Run(async () =>
            {
                start.SignalAndWait();
                return await manager.RevokeAsync(id, "race " + i);
            });
            var scopes = Task.Run(async () =>
            {
                start.SignalAndWait();
                return await manager.SetScopesAsync(id, ["events:write", "profile:read"]);
            });
            var expiry = Task.Run(async () =>
            {
                start.SignalAndWait();
                return await manager.SetExpiryAsync(id, created.Info.CreatedAt.AddDays(60));
            });
            await Task.WhenAll(roll, revoke, scopes, expiry);

            var stored = await read(id);
            Assert.True(stored.RevokedAt is not null, $"iteration {i}: the revocation of {id} was lost");
            Assert.Equal("race " + i, stored.RevocationReason);
            var successors = all().Where(r => r.RolledFromId == id).ToList();
            if (roll.Result is { } rolled)
            {
                won++;
                Assert.Equal(rolled.Info.Id, Assert.Single(successors).Id);
            }
            else
            {
                refused++;
                Assert.Empty(successors);
            }
        }

        return (won, refused);
    }
}
