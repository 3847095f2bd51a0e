using AuthPatterns.ApiKeys;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// Contributes the API-key model to the application's own <see cref="DbContext"/>: call
/// <see cref="AddAuthPatternsApiKeys"/> from <c>OnModelCreating</c>; the application owns the migrations.
/// </summary>
public static class ApiKeyModelBuilderExtensions
{
    /// <summary>The table of keys.</summary>
    public const string KeysTable = "authpatterns_api_keys";

    /// <summary>The table of usage events.</summary>
    public const string UsageEventsTable = "authpatterns_api_key_usage";

    /// <summary>The table of usage counts per key, hour and outcome.</summary>
    public const string UsageCountsTable = "authpatterns_api_key_usage_counts";

    /// <summary>
    /// Adds the API-key tables to a model. Times are stored as UTC ticks (a 64-bit integer), so the same model sorts
    /// and compares on every provider, SQLite included. The <c>Version</c> column is the keys' concurrency token: a
    /// change made on a stale copy of a key (one revoked meanwhile, for example) is refused, never written over it.
    /// </summary>
    /// <param name="modelBuilder">The model builder of the application's context.</param>
    /// <param name="schema">The database schema for the tables, or <see langword="null"/> for the default.</param>
    /// <returns>The model builder.</returns>
    public static ModelBuilder AddAuthPatternsApiKeys(this ModelBuilder modelBuilder, string? schema = null)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        var time = new ValueConverter<DateTimeOffset, long>(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));

        modelBuilder.Entity<ApiKeyRecord>(key =>
        {
            key.ToTable(KeysTable, schema);
            key.HasKey(r => r.Id);
            key.Property(r => r.Id).HasMaxLength(ApiKeyFormat.KeyIdLength).IsUnicode(false);
            key.Property(r => r.OwnerId).HasMaxLength(ApiKeyManager.MaxTextLength).IsRequired();
            key.Property(r => r.Tenant).HasMaxLength(ApiKeyManager.MaxTextLength);
            key.Property(r => r.Name).HasMaxLength(ApiKeyManager.MaxTextLength);
            key.Property(r => r.Hash).HasMaxLength(256).IsUnicode(false).IsRequired();
            key.Property(r => r.RevocationReason).HasMaxLength(ApiKeyManager.MaxRevocationReasonLength);
            key.Property(r => r.Version).IsConcurrencyToken();
            key.Property(r => r.LastUsedAddress).HasMaxLength(64);
            key.Property(r => r.RolledFromId).HasMaxLength(ApiKeyFormat.KeyIdLength).IsUnicode(false);
            key.Property(r => r.CreatedAt).HasConversion(time);
            key.Property(r => r.ExpiresAt).HasConversion(time);
            key.Property(r => r.RevokedAt).HasConversion(time);
            key.Property(r => r.LastUsedAt).HasConversion(time);
            key.PrimitiveCollection(r => r.Scopes).IsRequired();
            key.PrimitiveCollection(r => r.AllowedNetworks).IsRequired();
            key.HasIndex(r => r.OwnerId);
            key.HasIndex(r => r.Tenant);
        });

        modelBuilder.Entity<ApiKeyUsageEvent>(usage =>
        {
            usage.ToTable(UsageEventsTable, schema);
            usage.HasKey(e => e.Id);
            usage.Property(e => e.Id).ValueGeneratedOnAdd();
            usage.Property(e => e.KeyId).HasMaxLength(ApiKeyFormat.KeyIdLength).IsUnicode(false).IsRequired();
            usage.Property(e => e.Method).HasMaxLength(ApiKeyUsageLimits.MaxMethodLength).IsRequired();
            usage.Property(e => e.Route).HasMaxLength(ApiKeyUsageLimits.MaxRouteLength).IsRequired();
            usage.Property(e => e.Address).HasMaxLength(ApiKeyUsageLimits.MaxAddressLength);
            usage.Property(e => e.OccurredAt).HasConversion(time);
            usage.HasIndex(e => new { e.KeyId, e.OccurredAt });
            usage.HasIndex(e => e.OccurredAt);
        });

        modelBuilder.Entity<ApiKeyUsageCount>(count =>
        {
            count.ToTable(UsageCountsTable, schema);
            count.HasKey(c => new { c.KeyId, c.PeriodStart, c.Outcome });
            count.Property(c => c.KeyId).HasMaxLength(ApiKeyFormat.KeyIdLength).IsUnicode(false);
            count.Property(c => c.Outcome).HasMaxLength(32).IsUnicode(false);
            count.Property(c => c.PeriodStart).HasConversion(time);
            count.HasIndex(c => c.PeriodStart);
        });

        return modelBuilder;
    }
}
