using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace LayeredApp.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InitialKeyStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "authpatterns_api_key_usage",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    KeyId = table.Column<string>(type: "character varying(12)", unicode: false, maxLength: 12, nullable: false),
                    OccurredAt = table.Column<long>(type: "bigint", nullable: false),
                    Method = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Route = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    StatusCode = table.Column<int>(type: "integer", nullable: false),
                    Address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_authpatterns_api_key_usage", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "authpatterns_api_keys",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(12)", unicode: false, maxLength: 12, nullable: false),
                    IsTest = table.Column<bool>(type: "boolean", nullable: false),
                    OwnerId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Tenant = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Scopes = table.Column<List<string>>(type: "text[]", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: true),
                    RevokedAt = table.Column<long>(type: "bigint", nullable: true),
                    RevocationReason = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    LastUsedAt = table.Column<long>(type: "bigint", nullable: true),
                    LastUsedAddress = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    AllowedNetworks = table.Column<List<string>>(type: "text[]", nullable: false),
                    RolledFromId = table.Column<string>(type: "character varying(12)", unicode: false, maxLength: 12, nullable: true),
                    Hash = table.Column<string>(type: "character varying(256)", unicode: false, maxLength: 256, nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_authpatterns_api_keys", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_authpatterns_api_key_usage_KeyId_OccurredAt",
                table: "authpatterns_api_key_usage",
                columns: new[] { "KeyId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_authpatterns_api_key_usage_OccurredAt",
                table: "authpatterns_api_key_usage",
                column: "OccurredAt");

            migrationBuilder.CreateIndex(
                name: "IX_authpatterns_api_keys_OwnerId",
                table: "authpatterns_api_keys",
                column: "OwnerId");

            migrationBuilder.CreateIndex(
                name: "IX_authpatterns_api_keys_Tenant",
                table: "authpatterns_api_keys",
                column: "Tenant");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "authpatterns_api_key_usage");

            migrationBuilder.DropTable(
                name: "authpatterns_api_keys");
        }
    }
}
