using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class Disclosures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "disclosures",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    transaction_id = table.Column<ulong>(type: "xid8", nullable: false, defaultValueSql: "pg_current_xact_id()"),
                    recipient_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    purpose_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    legal_ground = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    categories = table.Column<List<string>>(type: "text[]", nullable: false),
                    disclosed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    sender_reference = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    recorded_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_disclosures", x => x.id);
                    table.ForeignKey(
                        name: "fk_disclosures_purposes_purpose_key",
                        column: x => x.purpose_key,
                        principalSchema: "privacy",
                        principalTable: "purposes",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_disclosures_recipients_recipient_key",
                        column: x => x.recipient_key,
                        principalSchema: "privacy",
                        principalTable: "recipients",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_disclosures_customer_number_id",
                schema: "privacy",
                table: "disclosures",
                columns: new[] { "customer_number", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_disclosures_disclosed_at",
                schema: "privacy",
                table: "disclosures",
                column: "disclosed_at");

            migrationBuilder.CreateIndex(
                name: "ix_disclosures_feed",
                schema: "privacy",
                table: "disclosures",
                columns: new[] { "recipient_key", "transaction_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_disclosures_purpose_key",
                schema: "privacy",
                table: "disclosures",
                column: "purpose_key");

            // The disclosure log is append-only (R4): what was given stays on record.
            migrationBuilder.Sql("""
                CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE ON privacy.disclosures
                    FOR EACH ROW EXECUTE FUNCTION privacy.refuse_change();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS disclosures_append_only ON privacy.disclosures;");

            migrationBuilder.DropTable(
                name: "disclosures",
                schema: "privacy");
        }
    }
}
