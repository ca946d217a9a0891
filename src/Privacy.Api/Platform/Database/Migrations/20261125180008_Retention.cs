using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class Retention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "legal_holds",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    category_key = table.Column<string>(type: "character varying(100)", nullable: true),
                    reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    placed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    placed_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ends_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    released_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    released_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_legal_holds", x => x.id);
                    table.ForeignKey(
                        name: "fk_legal_holds_data_categories_category_key",
                        column: x => x.category_key,
                        principalSchema: "privacy",
                        principalTable: "data_categories",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "retention_clocks",
                schema: "privacy",
                columns: table => new
                {
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reported_by = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    reported_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_retention_clocks", x => new { x.customer_number, x.kind });
                });

            migrationBuilder.CreateTable(
                name: "retention_items",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    category_key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    due_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    action = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    swept_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    swept_by = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_retention_items", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "retention_rules",
                schema: "privacy",
                columns: table => new
                {
                    purpose_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    category_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    period = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    trigger = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    action = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    legal_reference = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    note = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    removed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_retention_rules", x => new { x.purpose_key, x.category_key });
                    table.ForeignKey(
                        name: "fk_retention_rules_data_categories_category_key",
                        column: x => x.category_key,
                        principalSchema: "privacy",
                        principalTable: "data_categories",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_retention_rules_purposes_purpose_key",
                        column: x => x.purpose_key,
                        principalSchema: "privacy",
                        principalTable: "purposes",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "retention_subjects",
                schema: "privacy",
                columns: table => new
                {
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    next_due_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    evaluated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_retention_subjects", x => x.customer_number);
                });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_delivered",
                schema: "privacy",
                table: "outbox_messages",
                column: "delivered_at",
                filter: "delivered_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_consent_proofs_unerased",
                schema: "privacy",
                table: "consent_proofs",
                column: "event_id",
                filter: "ip_address IS NOT NULL OR user_agent IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_legal_holds_category_key",
                schema: "privacy",
                table: "legal_holds",
                column: "category_key");

            migrationBuilder.CreateIndex(
                name: "ix_legal_holds_customer_number",
                schema: "privacy",
                table: "legal_holds",
                column: "customer_number");

            migrationBuilder.CreateIndex(
                name: "ix_retention_items_customer_number_category_key_due_at",
                schema: "privacy",
                table: "retention_items",
                columns: new[] { "customer_number", "category_key", "due_at" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_retention_rules_category_key",
                schema: "privacy",
                table: "retention_rules",
                column: "category_key");

            migrationBuilder.CreateIndex(
                name: "ix_retention_subjects_next_due_at",
                schema: "privacy",
                table: "retention_subjects",
                column: "next_due_at",
                filter: "next_due_at IS NOT NULL");

            // A customer's consent decision may start or move a retention clock (consent_withdrawn, consent_ended):
            // the sweep looks at the customer again.
            migrationBuilder.Sql("""
                CREATE FUNCTION privacy.retention_consent_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO privacy.retention_subjects (customer_number, next_due_at) VALUES (NEW.subject_id, NEW.occurred_at)
                    ON CONFLICT (customer_number) DO UPDATE SET next_due_at = excluded.next_due_at
                    WHERE retention_subjects.next_due_at IS NULL OR retention_subjects.next_due_at > excluded.next_due_at;
                    RETURN NULL;
                END;
                $$;
                CREATE TRIGGER consent_events_retention AFTER INSERT ON privacy.consent_events
                    FOR EACH ROW WHEN (NEW.subject_type = 'Customer') EXECUTE FUNCTION privacy.retention_consent_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER consent_events_retention ON privacy.consent_events;
                DROP FUNCTION privacy.retention_consent_changed();
                """);

            migrationBuilder.DropTable(
                name: "legal_holds",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "retention_clocks",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "retention_items",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "retention_rules",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "retention_subjects",
                schema: "privacy");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_delivered",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_consent_proofs_unerased",
                schema: "privacy",
                table: "consent_proofs");
        }
    }
}
