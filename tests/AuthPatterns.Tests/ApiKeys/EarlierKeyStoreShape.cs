using Microsoft.Data.Sqlite;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>
/// A SQLite key store as the earlier version's EnsureCreated made it: PascalCase columns, times as UTC ticks, with one key.
/// </summary>
internal static class EarlierKeyStoreShape
{
    public const string KeyId = "AAAAAAAAAAAA";

    public static async Task CreateSqliteAsync(string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            CREATE TABLE "authpatterns_api_key_usage" ("Id" INTEGER NOT NULL CONSTRAINT "PK_authpatterns_api_key_usage" PRIMARY KEY AUTOINCREMENT,
                "KeyId" TEXT NOT NULL, "OccurredAt" INTEGER NOT NULL, "Method" TEXT NOT NULL, "Route" TEXT NOT NULL, "StatusCode" INTEGER NOT NULL, "Address" TEXT NULL);
            CREATE TABLE "authpatterns_api_key_usage_counts" ("KeyId" TEXT NOT NULL, "PeriodStart" INTEGER NOT NULL, "Outcome" TEXT NOT NULL, "Count" INTEGER NOT NULL,
                CONSTRAINT "PK_authpatterns_api_key_usage_counts" PRIMARY KEY ("KeyId", "PeriodStart", "Outcome"));
            CREATE TABLE "authpatterns_api_keys" ("Id" TEXT NOT NULL CONSTRAINT "PK_authpatterns_api_keys" PRIMARY KEY, "IsTest" INTEGER NOT NULL,
                "OwnerId" TEXT NOT NULL, "Tenant" TEXT NULL, "Name" TEXT NULL, "Scopes" TEXT NOT NULL, "CreatedAt" INTEGER NOT NULL, "ExpiresAt" INTEGER NULL,
                "RevokedAt" INTEGER NULL, "RevocationReason" TEXT NULL, "LastUsedAt" INTEGER NULL, "LastUsedAddress" TEXT NULL, "AllowedNetworks" TEXT NOT NULL,
                "RolledFromId" TEXT NULL, "Hash" TEXT NOT NULL, "Version" INTEGER NOT NULL);
            INSERT INTO "authpatterns_api_keys" ("Id", "IsTest", "OwnerId", "Scopes", "CreatedAt", "AllowedNetworks", "Hash", "Version")
                VALUES ('{KeyId}', 0, 'demo-partner', '["events:write"]', 639079776000000000, '[]', '$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA', 0);
            """;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The owner of the one key, read with the earlier column names: the database was left as it was.</summary>
    public static async Task<string?> OwnerAsync(string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""SELECT "OwnerId" FROM "authpatterns_api_keys" WHERE "Id" = '{KeyId}'""";
        return (string?)await command.ExecuteScalarAsync();
    }
}
