using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LayeredApp.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class UsageCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "authpatterns_api_key_usage_counts",
                columns: table => new
                {
                    KeyId = table.Column<string>(type: "character varying(12)", unicode: false, maxLength: 12, nullable: false),
                    PeriodStart = table.Column<long>(type: "bigint", nullable: false),
                    Outcome = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: false),
                    Count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_authpatterns_api_key_usage_counts", x => new { x.KeyId, x.PeriodStart, x.Outcome });
                });

            migrationBuilder.CreateIndex(
                name: "IX_authpatterns_api_key_usage_counts_PeriodStart",
                table: "authpatterns_api_key_usage_counts",
                column: "PeriodStart");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "authpatterns_api_key_usage_counts");
        }
    }
}
