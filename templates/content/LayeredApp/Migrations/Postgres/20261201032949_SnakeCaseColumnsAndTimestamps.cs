using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LayeredApp.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SnakeCaseColumnsAndTimestamps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_authpatterns_api_keys",
                table: "authpatterns_api_keys");

            migrationBuilder.DropPrimaryKey(
                name: "PK_authpatterns_api_key_usage_counts",
                table: "authpatterns_api_key_usage_counts");

            migrationBuilder.DropPrimaryKey(
                name: "PK_authpatterns_api_key_usage",
                table: "authpatterns_api_key_usage");

            migrationBuilder.RenameColumn(
                name: "Version",
                table: "authpatterns_api_keys",
                newName: "version");

            migrationBuilder.RenameColumn(
                name: "Tenant",
                table: "authpatterns_api_keys",
                newName: "tenant");

            migrationBuilder.RenameColumn(
                name: "Scopes",
                table: "authpatterns_api_keys",
                newName: "scopes");

            migrationBuilder.RenameColumn(
                name: "Name",
                table: "authpatterns_api_keys",
                newName: "name");

            migrationBuilder.RenameColumn(
                name: "Hash",
                table: "authpatterns_api_keys",
                newName: "hash");

            migrationBuilder.RenameColumn(
                name: "Id",
                table: "authpatterns_api_keys",
                newName: "id");

            migrationBuilder.RenameColumn(
                name: "RolledFromId",
                table: "authpatterns_api_keys",
                newName: "rolled_from_id");

            migrationBuilder.RenameColumn(
                name: "RevokedAt",
                table: "authpatterns_api_keys",
                newName: "revoked_at");

            migrationBuilder.RenameColumn(
                name: "RevocationReason",
                table: "authpatterns_api_keys",
                newName: "revocation_reason");

            migrationBuilder.RenameColumn(
                name: "OwnerId",
                table: "authpatterns_api_keys",
                newName: "owner_id");

            migrationBuilder.RenameColumn(
                name: "LastUsedAt",
                table: "authpatterns_api_keys",
                newName: "last_used_at");

            migrationBuilder.RenameColumn(
                name: "LastUsedAddress",
                table: "authpatterns_api_keys",
                newName: "last_used_address");

            migrationBuilder.RenameColumn(
                name: "IsTest",
                table: "authpatterns_api_keys",
                newName: "is_test");

            migrationBuilder.RenameColumn(
                name: "ExpiresAt",
                table: "authpatterns_api_keys",
                newName: "expires_at");

            migrationBuilder.RenameColumn(
                name: "CreatedAt",
                table: "authpatterns_api_keys",
                newName: "created_at");

            migrationBuilder.RenameColumn(
                name: "AllowedNetworks",
                table: "authpatterns_api_keys",
                newName: "allowed_networks");

            migrationBuilder.RenameIndex(
                name: "IX_authpatterns_api_keys_Tenant",
                table: "authpatterns_api_keys",
                newName: "ix_authpatterns_api_keys_tenant");

            migrationBuilder.RenameIndex(
                name: "IX_authpatterns_api_keys_OwnerId",
                table: "authpatterns_api_keys",
                newName: "ix_authpatterns_api_keys_owner_id");

            migrationBuilder.RenameColumn(
                name: "Count",
                table: "authpatterns_api_key_usage_counts",
                newName: "count");

            migrationBuilder.RenameColumn(
                name: "Outcome",
                table: "authpatterns_api_key_usage_counts",
                newName: "outcome");

            migrationBuilder.RenameColumn(
                name: "PeriodStart",
                table: "authpatterns_api_key_usage_counts",
                newName: "period_start");

            migrationBuilder.RenameColumn(
                name: "KeyId",
                table: "authpatterns_api_key_usage_counts",
                newName: "key_id");

            migrationBuilder.RenameIndex(
                name: "IX_authpatterns_api_key_usage_counts_PeriodStart",
                table: "authpatterns_api_key_usage_counts",
                newName: "ix_authpatterns_api_key_usage_counts_period_start");

            migrationBuilder.RenameColumn(
                name: "Route",
                table: "authpatterns_api_key_usage",
                newName: "route");

            migrationBuilder.RenameColumn(
                name: "Method",
                table: "authpatterns_api_key_usage",
                newName: "method");

            migrationBuilder.RenameColumn(
                name: "Address",
                table: "authpatterns_api_key_usage",
                newName: "address");

            migrationBuilder.RenameColumn(
                name: "Id",
                table: "authpatterns_api_key_usage",
                newName: "id");

            migrationBuilder.RenameColumn(
                name: "StatusCode",
                table: "authpatterns_api_key_usage",
                newName: "status_code");

            migrationBuilder.RenameColumn(
                name: "OccurredAt",
                table: "authpatterns_api_key_usage",
                newName: "occurred_at");

            migrationBuilder.RenameColumn(
                name: "KeyId",
                table: "authpatterns_api_key_usage",
                newName: "key_id");

            migrationBuilder.RenameIndex(
                name: "IX_authpatterns_api_key_usage_OccurredAt",
                table: "authpatterns_api_key_usage",
                newName: "ix_authpatterns_api_key_usage_occurred_at");

            migrationBuilder.RenameIndex(
                name: "IX_authpatterns_api_key_usage_KeyId_OccurredAt",
                table: "authpatterns_api_key_usage",
                newName: "ix_authpatterns_api_key_usage_key_id_occurred_at");

            migrationBuilder.Sql(TicksToTimestamp("authpatterns_api_keys", "revoked_at"));

            migrationBuilder.Sql(TicksToTimestamp("authpatterns_api_keys", "last_used_at"));

            migrationBuilder.Sql(TicksToTimestamp("authpatterns_api_keys", "expires_at"));

            migrationBuilder.Sql(TicksToTimestamp("authpatterns_api_keys", "created_at"));

            migrationBuilder.Sql(TicksToTimestamp("authpatterns_api_key_usage_counts", "period_start"));

            migrationBuilder.Sql(TicksToTimestamp("authpatterns_api_key_usage", "occurred_at"));

            migrationBuilder.AddPrimaryKey(
                name: "pk_authpatterns_api_keys",
                table: "authpatterns_api_keys",
                column: "id");

            migrationBuilder.AddPrimaryKey(
                name: "pk_authpatterns_api_key_usage_counts",
                table: "authpatterns_api_key_usage_counts",
                columns: new[] { "key_id", "period_start", "outcome" });

            migrationBuilder.AddPrimaryKey(
                name: "pk_authpatterns_api_key_usage",
                table: "authpatterns_api_key_usage",
                column: "id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "pk_authpatterns_api_keys",
                table: "authpatterns_api_keys");

            migrationBuilder.DropPrimaryKey(
                name: "pk_authpatterns_api_key_usage_counts",
                table: "authpatterns_api_key_usage_counts");

            migrationBuilder.DropPrimaryKey(
                name: "pk_authpatterns_api_key_usage",
                table: "authpatterns_api_key_usage");

            migrationBuilder.RenameColumn(
                name: "version",
                table: "authpatterns_api_keys",
                newName: "Version");

            migrationBuilder.RenameColumn(
                name: "tenant",
                table: "authpatterns_api_keys",
                newName: "Tenant");

            migrationBuilder.RenameColumn(
                name: "scopes",
                table: "authpatterns_api_keys",
                newName: "Scopes");

            migrationBuilder.RenameColumn(
                name: "name",
                table: "authpatterns_api_keys",
                newName: "Name");

            migrationBuilder.RenameColumn(
                name: "hash",
                table: "authpatterns_api_keys",
                newName: "Hash");

            migrationBuilder.RenameColumn(
                name: "id",
                table: "authpatterns_api_keys",
                newName: "Id");

            migrationBuilder.RenameColumn(
                name: "rolled_from_id",
                table: "authpatterns_api_keys",
                newName: "RolledFromId");

            migrationBuilder.RenameColumn(
                name: "revoked_at",
                table: "authpatterns_api_keys",
                newName: "RevokedAt");

            migrationBuilder.RenameColumn(
                name: "revocation_reason",
                table: "authpatterns_api_keys",
                newName: "RevocationReason");

            migrationBuilder.RenameColumn(
                name: "owner_id",
                table: "authpatterns_api_keys",
                newName: "OwnerId");

            migrationBuilder.RenameColumn(
                name: "last_used_at",
                table: "authpatterns_api_keys",
                newName: "LastUsedAt");

            migrationBuilder.RenameColumn(
                name: "last_used_address",
                table: "authpatterns_api_keys",
                newName: "LastUsedAddress");

            migrationBuilder.RenameColumn(
                name: "is_test",
                table: "authpatterns_api_keys",
                newName: "IsTest");

            migrationBuilder.RenameColumn(
                name: "expires_at",
                table: "authpatterns_api_keys",
                newName: "ExpiresAt");

            migrationBuilder.RenameColumn(
                name: "created_at",
                table: "authpatterns_api_keys",
                newName: "CreatedAt");

            migrationBuilder.RenameColumn(
                name: "allowed_networks",
                table: "authpatterns_api_keys",
                newName: "AllowedNetworks");

            migrationBuilder.RenameIndex(
                name: "ix_authpatterns_api_keys_tenant",
                table: "authpatterns_api_keys",
                newName: "IX_authpatterns_api_keys_Tenant");

            migrationBuilder.RenameIndex(
                name: "ix_authpatterns_api_keys_owner_id",
                table: "authpatterns_api_keys",
                newName: "IX_authpatterns_api_keys_OwnerId");

            migrationBuilder.RenameColumn(
                name: "count",
                table: "authpatterns_api_key_usage_counts",
                newName: "Count");

            migrationBuilder.RenameColumn(
                name: "outcome",
                table: "authpatterns_api_key_usage_counts",
                newName: "Outcome");

            migrationBuilder.RenameColumn(
                name: "period_start",
                table: "authpatterns_api_key_usage_counts",
                newName: "PeriodStart");

            migrationBuilder.RenameColumn(
                name: "key_id",
                table: "authpatterns_api_key_usage_counts",
                newName: "KeyId");

            migrationBuilder.RenameIndex(
                name: "ix_authpatterns_api_key_usage_counts_period_start",
                table: "authpatterns_api_key_usage_counts",
                newName: "IX_authpatterns_api_key_usage_counts_PeriodStart");

            migrationBuilder.RenameColumn(
                name: "route",
                table: "authpatterns_api_key_usage",
                newName: "Route");

            migrationBuilder.RenameColumn(
                name: "method",
                table: "authpatterns_api_key_usage",
                newName: "Method");

            migrationBuilder.RenameColumn(
                name: "address",
                table: "authpatterns_api_key_usage",
                newName: "Address");

            migrationBuilder.RenameColumn(
                name: "id",
                table: "authpatterns_api_key_usage",
                newName: "Id");

            migrationBuilder.RenameColumn(
                name: "status_code",
                table: "authpatterns_api_key_usage",
                newName: "StatusCode");

            migrationBuilder.RenameColumn(
                name: "occurred_at",
                table: "authpatterns_api_key_usage",
                newName: "OccurredAt");

            migrationBuilder.RenameColumn(
                name: "key_id",
                table: "authpatterns_api_key_usage",
                newName: "KeyId");

            migrationBuilder.RenameIndex(
                name: "ix_authpatterns_api_key_usage_occurred_at",
                table: "authpatterns_api_key_usage",
                newName: "IX_authpatterns_api_key_usage_OccurredAt");

            migrationBuilder.RenameIndex(
                name: "ix_authpatterns_api_key_usage_key_id_occurred_at",
                table: "authpatterns_api_key_usage",
                newName: "IX_authpatterns_api_key_usage_KeyId_OccurredAt");

            migrationBuilder.Sql(TimestampToTicks("authpatterns_api_keys", "RevokedAt"));

            migrationBuilder.Sql(TimestampToTicks("authpatterns_api_keys", "LastUsedAt"));

            migrationBuilder.Sql(TimestampToTicks("authpatterns_api_keys", "ExpiresAt"));

            migrationBuilder.Sql(TimestampToTicks("authpatterns_api_keys", "CreatedAt"));

            migrationBuilder.Sql(TimestampToTicks("authpatterns_api_key_usage_counts", "PeriodStart"));

            migrationBuilder.Sql(TimestampToTicks("authpatterns_api_key_usage", "OccurredAt"));

            migrationBuilder.AddPrimaryKey(
                name: "PK_authpatterns_api_keys",
                table: "authpatterns_api_keys",
                column: "Id");

            migrationBuilder.AddPrimaryKey(
                name: "PK_authpatterns_api_key_usage_counts",
                table: "authpatterns_api_key_usage_counts",
                columns: new[] { "KeyId", "PeriodStart", "Outcome" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_authpatterns_api_key_usage",
                table: "authpatterns_api_key_usage",
                column: "Id");
        }

        // Ticks count 100 ns from 0001-01-01 UTC, 621355968000000000 of them before 1970. Whole seconds and the microseconds
        // left are added apart, so the sums stay exact; DateTimeOffset.MaxValue, written for a time that never comes, is
        // PostgreSQL's infinity, as Npgsql reads and writes it.
        private static string TicksToTimestamp(string table, string column) => $"""
            ALTER TABLE {table} ALTER COLUMN {column} TYPE timestamp with time zone USING
                CASE WHEN {column} = 3155378975999999999 THEN 'infinity'
                     ELSE timestamptz 'epoch' + ({column} - 621355968000000000) / 10000000 * interval '1 second'
                                              + ({column} - 621355968000000000) % 10000000 / 10 * interval '1 microsecond'
                END;
            """;

        private static string TimestampToTicks(string table, string column) => $"""
            ALTER TABLE {table} ALTER COLUMN {column} TYPE bigint USING
                CASE WHEN {column} = 'infinity' THEN 3155378975999999999
                     ELSE (extract(epoch FROM {column}) * 10000000)::bigint + 621355968000000000
                END;
            """;
    }
}
