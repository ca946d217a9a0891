using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class RequestIdentifiers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "rights_request_customers",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    matched_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    added_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    added_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rights_request_customers", x => x.id);
                    table.ForeignKey(
                        name: "fk_rights_request_customers_rights_requests_request_id",
                        column: x => x.request_id,
                        principalSchema: "privacy",
                        principalTable: "rights_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "rights_request_identifiers",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    value = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    verified_how = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    verified_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    verified_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rights_request_identifiers", x => x.id);
                    table.ForeignKey(
                        name: "fk_rights_request_identifiers_rights_requests_request_id",
                        column: x => x.request_id,
                        principalSchema: "privacy",
                        principalTable: "rights_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_customers_customer_number",
                schema: "privacy",
                table: "rights_request_customers",
                column: "customer_number");

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_customers_request_id_customer_number",
                schema: "privacy",
                table: "rights_request_customers",
                columns: new[] { "request_id", "customer_number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_identifiers_request_id_kind",
                schema: "privacy",
                table: "rights_request_identifiers",
                columns: new[] { "request_id", "kind" },
                unique: true);

            // Requests recorded before identifiers carried their verification: the given identifiers, verified when the request was
            // past received and not rejected (it was verified then, for all it named), and the given customer number covered. The customers that the
            // old rule merged in through a national identity number are not carried over: ops record them with a reason if they must.
            migrationBuilder.Sql("""
                INSERT INTO privacy.rights_request_identifiers (request_id, kind, value, verified_how, verified_at, verified_by)
                SELECT r.id, i.kind, i.value,
                       CASE WHEN r.status NOT IN ('Received', 'Rejected') THEN 'Verified before identifiers carried their own verification' END,
                       CASE WHEN r.status NOT IN ('Received', 'Rejected') THEN r.received_at END,
                       CASE WHEN r.status NOT IN ('Received', 'Rejected') THEN r.submitted_by END
                FROM privacy.rights_requests r
                CROSS JOIN LATERAL (VALUES ('CustomerNumber', r.customer_number), ('Email', r.email), ('NationalIdentityNumber', r.national_id_hash)) AS i(kind, value)
                WHERE i.value IS NOT NULL;
                INSERT INTO privacy.rights_request_customers (request_id, customer_number, matched_by, added_by, added_at)
                SELECT r.id, r.customer_number, 'CustomerNumber', r.submitted_by, r.received_at
                FROM privacy.rights_requests r
                WHERE r.customer_number IS NOT NULL AND r.status NOT IN ('Received', 'Rejected');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rights_request_customers",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "rights_request_identifiers",
                schema: "privacy");
        }
    }
}
