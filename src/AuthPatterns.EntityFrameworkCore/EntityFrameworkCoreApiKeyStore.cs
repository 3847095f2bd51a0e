using AuthPatterns.ApiKeys;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthPatterns.EntityFrameworkCore;

/// <summary>
/// An <see cref="IApiKeyStore"/> on the application's <typeparamref name="TContext"/>. A singleton: each operation runs in
/// a service scope of its own with a fresh context, so it can be used from the (singleton) verifier and background writer.
/// </summary>
internal sealed class EntityFrameworkCoreApiKeyStore<TContext> : IApiKeyStore
    where TContext : DbContext
{
    private readonly IServiceScopeFactory _scopes;

    public EntityFrameworkCoreApiKeyStore(IServiceScopeFactory scopes) => _scopes = scopes;

    public Task<ApiKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default) =>
        RunAsync(db => db.Set<ApiKeyRecord>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == keyId, cancellationToken));

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<ApiKeyRecord>>(async db =>
        {
            var query = db.Set<ApiKeyRecord>().AsNoTracking();
            if (ownerId is not null)
            {
                query = query.Where(r => r.OwnerId == ownerId);
            }

            if (tenant is not null)
            {
                query = query.Where(r => r.Tenant == tenant);
            }

            return await query.OrderByDescending(r => r.CreatedAt).ToListAsync(cancellationToken);
        });

    public Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) =>
        RunAsync(async db =>
        {
            db.Add(record.Clone());
            return await db.SaveChangesAsync(cancellationToken);
        });

    public Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return RunAsync(db =>
        {
            AttachChange(db, record);
            return SaveIfUnchangedAsync(db, cancellationToken);
        });
    }

    // One SaveChanges: the insert and the version-checked update run in one transaction, so a conflict writes neither.
    public Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(successor);
        ArgumentNullException.ThrowIfNull(replaced);
        return RunAsync(db =>
        {
            db.Add(successor.Clone());
            AttachChange(db, replaced);
            return SaveIfUnchangedAsync(db, cancellationToken);
        });
    }

    public Task UpdateHashAsync(string keyId, string hash, CancellationToken cancellationToken = default) =>
        RunAsync(db => db.Set<ApiKeyRecord>().Where(r => r.Id == keyId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Hash, hash), cancellationToken));

    public Task RecordLastUsesAsync(IReadOnlyCollection<ApiKeyLastUse> uses, CancellationToken cancellationToken = default) =>
        RunAsync(async db =>
        {
            var written = 0;
            foreach (var use in uses)
            {
                DateTimeOffset? usedAt = use.UsedAt;
                written += await db.Set<ApiKeyRecord>()
                    .Where(r => r.Id == use.KeyId && (r.LastUsedAt == null || r.LastUsedAt < usedAt))
                    .ExecuteUpdateAsync(
                        s => s.SetProperty(r => r.LastUsedAt, usedAt).SetProperty(r => r.LastUsedAddress, use.Address),
                        cancellationToken);
            }

            return written;
        });

    public Task AddUsageEventsAsync(IReadOnlyCollection<ApiKeyUsageEvent> events, CancellationToken cancellationToken = default) =>
        RunAsync(async db =>
        {
            // Bounded copies: a caller that writes events directly gets the same limits as the recorder.
            db.AddRange(events.Select(ApiKeyUsageLimits.Bound));
            return await db.SaveChangesAsync(cancellationToken);
        });

    public Task<IReadOnlyList<ApiKeyUsageEvent>> ListUsageEventsAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<ApiKeyUsageEvent>>(async db => await db.Set<ApiKeyUsageEvent>()
            .AsNoTracking()
            .Where(e => e.KeyId == keyId && e.OccurredAt >= since)
            .OrderBy(e => e.OccurredAt)
            .ToListAsync(cancellationToken));

    public Task<int> DeleteUsageEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        RunAsync(db => db.Set<ApiKeyUsageEvent>().Where(e => e.OccurredAt < olderThan).ExecuteDeleteAsync(cancellationToken));

    // All or nothing, in one transaction: a flush that fails half-way is written again whole by the next one, so no count
    // may have been added already. One read finds the rows that exist; they are added to by one UPDATE per period, outcome
    // and amount (not one per row), and the others inserted in one batch. Another instance inserting one of those rows
    // meanwhile makes the insert fail on the primary key: it is undone (to its savepoint) and the rows read again, once.
    // Two instances that lock the same rows in another order: the database rolls one back whole, and it is written again.
    public Task AddUsageCountsAsync(IReadOnlyCollection<ApiKeyUsageCount> counts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var valid = counts
            .Where(c => c.Count > 0 && ApiKeyUsageCount.CountedOutcomes.Contains(c.Outcome) && c.KeyId.Length is > 0 and <= ApiKeyFormat.KeyIdLength)
            .GroupBy(c => (c.KeyId, PeriodStart: ApiKeyUsageCount.PeriodOf(c.PeriodStart), c.Outcome))
            .Select(g => new ApiKeyUsageCount { KeyId = g.Key.KeyId, PeriodStart = g.Key.PeriodStart, Outcome = g.Key.Outcome, Count = g.Sum(c => c.Count) })
            .ToList();
        if (valid.Count == 0)
        {
            return Task.CompletedTask;
        }

        // Through the context's execution strategy: a retrying one (EnableRetryOnFailure) refuses a transaction begun
        // outside it, and retries the whole of this one, which is safe since a failed attempt wrote nothing.
        return RunAsync(db => db.Database.CreateExecutionStrategy().ExecuteAsync(
            async cancellationToken =>
            {
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var ids = valid.Select(c => c.KeyId).Distinct().ToArray();
                var known = (await db.Set<ApiKeyRecord>().Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
                var left = valid.Where(c => known.Contains(c.KeyId)).ToList();
                for (var pass = 0; left.Count > 0; pass++)
                {
                    var missing = await AddToExistingCountsAsync(db, left, cancellationToken);
                    if (missing.Count == 0)
                    {
                        break;
                    }

                    db.AddRange(missing.Select(c => new ApiKeyUsageCount { KeyId = c.KeyId, PeriodStart = c.PeriodStart, Outcome = c.Outcome, Count = c.Count }));
                    try
                    {
                        await db.SaveChangesAsync(cancellationToken);
                        break;
                    }
                    catch (DbUpdateException) when (pass == 0)
                    {
                        // Another writer inserted one of these rows meanwhile: the insert is undone to its savepoint, and
                        // the rows are read again and added to by UPDATE.
                        db.ChangeTracker.Clear();
                        left = missing;
                    }
                }

                await transaction.CommitAsync(cancellationToken);
                return 0;
            },
            cancellationToken));
    }

    // Adds each count to its row where there is one; returns the counts that have none. The rows are read in one query,
    // and the counts that add the same amount to the same period and outcome are written by one UPDATE.
    private static async Task<List<ApiKeyUsageCount>> AddToExistingCountsAsync(TContext db, List<ApiKeyUsageCount> counts, CancellationToken cancellationToken)
    {
        var ids = counts.Select(c => c.KeyId).Distinct().ToArray();
        var since = counts.Min(c => c.PeriodStart);
        var existing = (await db.Set<ApiKeyUsageCount>().AsNoTracking()
                .Where(c => ids.Contains(c.KeyId) && c.PeriodStart >= since)
                .Select(c => new { c.KeyId, c.PeriodStart, c.Outcome })
                .ToListAsync(cancellationToken))
            .Select(c => (c.KeyId, c.PeriodStart, c.Outcome))
            .ToHashSet();
        var missing = new List<ApiKeyUsageCount>();
        var updates = new Dictionary<(DateTimeOffset PeriodStart, string Outcome, long Add), List<string>>();
        foreach (var count in counts)
        {
            if (!existing.Contains((count.KeyId, count.PeriodStart, count.Outcome)))
            {
                missing.Add(count);
            }
            else if (updates.TryGetValue((count.PeriodStart, count.Outcome, count.Count), out var keyIds))
            {
                keyIds.Add(count.KeyId);
            }
            else
            {
                updates[(count.PeriodStart, count.Outcome, count.Count)] = [count.KeyId];
            }
        }

        foreach (var ((periodStart, outcome, add), keyIds) in updates)
        {
            await db.Set<ApiKeyUsageCount>()
                .Where(c => c.PeriodStart == periodStart && c.Outcome == outcome && keyIds.Contains(c.KeyId))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Count, c => c.Count + add), cancellationToken);
        }

        return missing;
    }

    public Task<IReadOnlyList<ApiKeyUsageCount>> ListUsageCountsAsync(string? keyId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<ApiKeyUsageCount>>(async db =>
        {
            var query = db.Set<ApiKeyUsageCount>().AsNoTracking().Where(c => c.PeriodStart >= since);
            if (keyId is not null)
            {
                query = query.Where(c => c.KeyId == keyId);
            }

            return await query.OrderBy(c => c.PeriodStart).ThenBy(c => c.KeyId).ThenBy(c => c.Outcome).ToListAsync(cancellationToken);
        });

    public Task<int> DeleteUsageCountsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        RunAsync(db => db.Set<ApiKeyUsageCount>().Where(c => c.PeriodStart < olderThan).ExecuteDeleteAsync(cancellationToken));

    private async Task<T> RunAsync<T>(Func<TContext, Task<T>> work)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        return await work(db);
    }

    // Marks only the lifecycle fields as changed, with Version as the concurrency token: the UPDATE matches the row only
    // when its version is still the one the change was made on. RevokedAt and its reason are written only when set, so
    // no write can clear a revocation; the hash and last use are left to their own writers.
    private static void AttachChange(TContext db, ApiKeyRecord record)
    {
        var copy = record.Clone();
        copy.Version = record.Version + 1;
        var entry = db.Attach(copy);
        entry.Property(r => r.Version).OriginalValue = record.Version;
        entry.Property(r => r.Version).IsModified = true;
        entry.Property(r => r.Scopes).IsModified = true;
        entry.Property(r => r.AllowedNetworks).IsModified = true;
        entry.Property(r => r.ExpiresAt).IsModified = true;
        if (copy.RevokedAt is not null)
        {
            entry.Property(r => r.RevokedAt).IsModified = true;
            entry.Property(r => r.RevocationReason).IsModified = true;
        }
    }

    private static async Task<bool> SaveIfUnchangedAsync(TContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }
}
