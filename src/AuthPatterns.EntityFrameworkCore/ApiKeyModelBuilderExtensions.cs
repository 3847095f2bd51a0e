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
    /// Adds the API-key tables to a model, in names a DBA can type: snake_case columns (<c>owner_id</c>,
    /// <c>created_at</c>), lower-case key and index names (<c>pk_authpatterns_api_keys</c>,
    /// <c>ix_authpatterns_api_keys_owner_id</c>). Times are stored as UTC date-times in the provider's own type
    /// (<c>timestamp with time zone</c> on PostgreSQL, ISO-8601 text such as <c>2026-03-01 12:00:00.1234567</c> on SQLite),
    /// so they sort and compare in SQL on every provider; PostgreSQL keeps them to the microsecond and
    /// <see cref="DateTimeOffset.MaxValue"/> as <c>infinity</c>. The <c>version</c> column is the keys' concurrency token: a
    /// change made on a stale copy of a key (one revoked meanwhile, for example) is refused, never written over it.
    /// </summary>
    /// <param name="modelBuilder">The model builder of the application's context.</param>
    /// <param name="schema">The database schema for the tables, or <see langword="null"/> for the default.</param>
    /// <returns>The model builder.</returns>
    public static ModelBuilder AddAuthPatternsApiKeys(this ModelBuilder modelBuilder, string? schema = null)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);

        // A UTC DateTime, not a DateTimeOffset: SQLite translates comparisons and ordering of DateTime columns (text in one
        // fixed format, which sorts as it compares) but not of DateTimeOffset ones; PostgreSQL maps it to timestamptz.
        var time = new ValueConverter<DateTimeOffset, DateTime>(v => v.UtcDateTime, v => new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)));

        modelBuilder.Entity<ApiKeyRecord>(key =>
        {
            key.ToTable(KeysTable, schema);
            key.HasKey(r => r.Id).HasName("pk_" + KeysTable);
            key.Property(r => r.Id).HasColumnName("id").HasMaxLength(ApiKeyFormat.KeyIdLength).IsUnicode(false);
            key.Property(r => r.IsTest).HasColumnName("is_test");
            key.Property(r => r.OwnerId).HasColumnName("owner_id").HasMaxLength(ApiKeyManager.MaxTextLength).IsRequired();
            key.Property(r => r.Tenant).HasColumnName("tenant").HasMaxLength(ApiKeyManager.MaxTextLength);
            key.Property(r => r.Name).HasColumnName("name").HasMaxLength(ApiKeyManager.MaxTextLength);
            key.Property(r => r.Hash).HasColumnName("hash").HasMaxLength(256).IsUnicode(false).IsRequired();
            key.Property(r => r.RevocationReason).HasColumnName("revocation_reason").HasMaxLength(ApiKeyManager.MaxRevocationReasonLength);
            key.Property(r => r.Version).HasColumnName("version").IsConcurrencyToken();
            key.Property(r => r.LastUsedAddress).HasColumnName("last_used_address").HasMaxLength(64);
            key.Property(r => r.RolledFromId).HasColumnName("rolled_from_id").HasMaxLength(ApiKeyFormat.KeyIdLength).IsUnicode(false);
            key.Property(r => r.CreatedAt).HasColumnName("created_at").HasConversion(time);
            key.Property(r => r.ExpiresAt).HasColumnName("expires_at").HasConversion(time);
            key.Property(r => r.RevokedAt).HasColumnName("revoked_at").HasConversion(time);
            key.Property(r => r.LastUsedAt).HasColumnName("last_used_at").HasConversion(time);
            key.PrimitiveCollection(r => r.Scopes).HasColumnName("scopes").IsRequired();
            key.PrimitiveCollection(r => r.AllowedNetworks).HasColumnName("allowed_networks").IsRequired();
            key.HasIndex(r => r.OwnerId).HasDatabaseName($"ix_{KeysTable}_owner_id");
            key.HasIndex(r => r.Tenant).HasDatabaseName($"ix_{KeysTable}_tenant");
        });

        modelBuilder.Entity<ApiKeyUsageEvent>(usage =>
        {
            usage.ToTable(UsageEventsTable, schema);
            usage.HasKey(e => e.Id).HasName("pk_" + UsageEventsTable);
            usage.Property(e => e.Id).HasColumnName("id").ValueGeneratedOnAdd();
            usage.Property(e => e.KeyId).HasColumnName("key_id").HasMaxLength(ApiKeyFormat.KeyIdLength).IsUnicode(false).IsRequired();
            usage.Property(e => e.OccurredAt).HasColumnName("occurred_at").HasConversion(time);
            usage.Property(e => e.Method).HasColumnName("method").HasMaxLength(ApiKeyUsageLimits.MaxMethodLength).IsRequired();
            usage.Property(e => e.Route).HasColumnName("route").HasMaxLength(ApiKeyUsageLimits.MaxRouteLength).IsRequired();
            usage.Property(e => e.StatusCode).HasColumnName("status_code");
            usage.Property(e => e.Address).HasColumnName("address").HasMaxLength(ApiKeyUsageLimits.MaxAddressLength);
            usage.HasIndex(e => new { e.KeyId, e.OccurredAt }).HasDatabaseName($"ix_{UsageEventsTable}_key_id_occurred_at");
            usage.HasIndex(e => e.OccurredAt).HasDatabaseName($"ix_{UsageEventsTable}_occurred_at");
        });

        modelBuilder.Entity<ApiKeyUsageCount>(count =>
        {
            count.ToTable(UsageCountsTable, schema);
            count.HasKey(c => new { c.KeyId, c.PeriodStart, c.Outcome }).HasName("pk_" + UsageCountsTable);
            count.Property(c => c.KeyId).HasColumnName("key_id").HasMaxLength(ApiKeyFormat.KeyIdLength).IsUnicode(false);
            count.Property(c => c.PeriodStart).HasColumnName("period_start").HasConversion(time);
            count.Property(c => c.Outcome).HasColumnName("outcome").HasMaxLength(32).IsUnicode(false);
            count.Property(c => c.Count).HasColumnName("count");
            count.HasIndex(c => c.PeriodStart).HasDatabaseName($"ix_{UsageCountsTable}_period_start");
        });

        return modelBuilder;
    }
}
