using System.Data.Common;
using AuthPatterns.ApiKeys;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// Creates or checks the API-key tables of a context whose model includes
/// <see cref="ApiKeyModelBuilderExtensions.AddAuthPatternsApiKeys"/>, for applications and tools that create their tables
/// with <c>EnsureCreated</c> instead of migrations: a database made by an earlier version is refused at startup with a
/// message saying how to upgrade it, instead of failing on every key.
/// </summary>
public static class ApiKeyDatabaseFacadeExtensions
{
    // A column of the keys table before the columns were snake_case; SQLite compares names case-insensitively, so the probe
    // needs one that differs by more than case.
    private const string EarlierKeysColumn = "OwnerId";

    /// <summary>
    /// Creates the database and its tables when it does not exist (<see cref="DatabaseFacade.EnsureCreatedAsync"/>); when it
    /// does, checks that the API-key tables are there in the shape this version reads (<see cref="VerifyApiKeyTablesAsync"/>).
    /// </summary>
    /// <param name="database">The context's database.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns><see langword="true"/> when the database was created.</returns>
    /// <exception cref="InvalidOperationException">The database holds no API-key tables, or holds them in an earlier shape.</exception>
    public static async Task<bool> EnsureApiKeyTablesCreatedAsync(this DatabaseFacade database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (await database.EnsureCreatedAsync(cancellationToken))
        {
            return true;
        }

        await database.VerifyApiKeyTablesAsync(cancellationToken);
        return false;
    }

    /// <summary>
    /// Checks that the database holds the three API-key tables with every column this version reads, by a query that reads
    /// no row. A database created by a version that stored times as ticks in PascalCase columns is named as such, with the
    /// way to upgrade it.
    /// </summary>
    /// <param name="database">The context's database.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task that completes when the tables are as expected.</returns>
    /// <exception cref="InvalidOperationException">
    /// The context's model has no API-key tables, or the database lacks a table or column of them (or cannot be reached).
    /// </exception>
    public static async Task VerifyApiKeyTablesAsync(this DatabaseFacade database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        var context = ((IDatabaseFacadeDependenciesAccessor)database).Context;
        var sql = database.GetService<ISqlGenerationHelper>();
        foreach (var type in new[] { typeof(ApiKeyRecord), typeof(ApiKeyUsageEvent), typeof(ApiKeyUsageCount) })
        {
            var entity = context.Model.FindEntityType(type) ?? throw new InvalidOperationException(
                $"The DbContext {context.GetType().Name} has no API-key tables in its model: call modelBuilder.AddAuthPatternsApiKeys() from its OnModelCreating.");
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var columns = entity.GetProperties().Select(p => p.GetColumnName(table)!).ToList();
            var tableName = sql.DelimitIdentifier(table.Name, table.Schema);
            if (await CanReadAsync(database, $"SELECT {string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c)))} FROM {tableName} WHERE 1 = 0", cancellationToken))
            {
                continue;
            }

            if (type == typeof(ApiKeyRecord) && await CanReadAsync(database, $"SELECT {sql.DelimitIdentifier(EarlierKeysColumn)} FROM {tableName} WHERE 1 = 0", cancellationToken))
            {
                throw new InvalidOperationException(
                    $"The table {table.DisplayName()} holds API keys in the shape of an earlier AuthPatterns version (PascalCase columns, "
                    + "times as ticks in bigint columns), which this version cannot read. Upgrade it without losing keys: apply the "
                    + "application's migrations (dotnet ef database update; the project template ships the migration "
                    + "SnakeCaseColumnsAndTimestamps), or run the upgrade SQL in docs/api-keys.md, 'Upgrading a database'. A development "
                    + "database that only EnsureCreated made (such as a SQLite file) can be deleted instead: it is created again in "
                    + "the current shape on the next start.");
            }

            throw new InvalidOperationException(
                $"The database has no table {table.DisplayName()} with the columns this version reads ({string.Join(", ", columns)}): "
                + "it cannot be reached, the table is missing (EnsureCreated adds no table to a database that already has tables) "
                + "or it has another shape. Create the tables with the application's migrations (dotnet ef database update), "
                + "or see docs/api-keys.md, 'Storage'.");
        }
    }

    private static async Task<bool> CanReadAsync(DatabaseFacade database, string probe, CancellationToken cancellationToken)
    {
        try
        {
#pragma warning disable EF1002 // The probe holds only identifiers from the model, delimited by the provider; no value.
            await database.ExecuteSqlRawAsync(probe, cancellationToken);
#pragma warning restore EF1002
            return true;
        }
        catch (DbException)
        {
            return false;
        }
    }
}
