using System;
using System.Net;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class Consent : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "always_on",
                schema: "privacy",
                table: "purposes",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "limited_by_gpc",
                schema: "privacy",
                table: "purposes",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "consent_notices",
                schema: "privacy",
                columns: table => new
                {
                    hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    notice_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    text = table.Column<string>(type: "text", nullable: true),
                    first_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consent_notices", x => x.hash);
                });

            migrationBuilder.CreateTable(
                name: "consent_subject_links",
                schema: "privacy",
                columns: table => new
                {
                    visitor_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    linked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    linked_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consent_subject_links", x => x.visitor_id);
                });

            migrationBuilder.CreateTable(
                name: "outbox_messages",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    recipient_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    event_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    delivered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_messages", x => x.id);
                    table.ForeignKey(
                        name: "fk_outbox_messages_recipients_recipient_key",
                        column: x => x.recipient_key,
                        principalSchema: "privacy",
                        principalTable: "recipients",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "policy_versions",
                schema: "privacy",
                columns: table => new
                {
                    version = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    effective_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    material = table.Column<bool>(type: "boolean", nullable: false),
                    summary = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    text_sv = table.Column<string>(type: "text", nullable: false),
                    text_en = table.Column<string>(type: "text", nullable: false),
                    text_sv_sha256 = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    text_en_sha256 = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    published_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    published_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_policy_versions", x => x.version);
                });

            migrationBuilder.CreateTable(
                name: "consent_events",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    subject_type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    subject_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    policy_version = table.Column<string>(type: "character varying(32)", nullable: false),
                    channel = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    notice_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    notice_hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: true),
                    language = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    gpc = table.Column<bool>(type: "boolean", nullable: false),
                    gpc_source = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recorded_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consent_events", x => x.id);
                    table.ForeignKey(
                        name: "fk_consent_events_policy_versions_policy_version",
                        column: x => x.policy_version,
                        principalSchema: "privacy",
                        principalTable: "policy_versions",
                        principalColumn: "version",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "consent_choices",
                schema: "privacy",
                columns: table => new
                {
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    purpose_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    sequence = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    granted = table.Column<bool>(type: "boolean", nullable: false),
                    requested = table.Column<bool>(type: "boolean", nullable: false),
                    subject_type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    subject_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consent_choices", x => new { x.event_id, x.purpose_key });
                    table.ForeignKey(
                        name: "fk_consent_choices_consent_events_event_id",
                        column: x => x.event_id,
                        principalSchema: "privacy",
                        principalTable: "consent_events",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_consent_choices_purposes_purpose_key",
                        column: x => x.purpose_key,
                        principalSchema: "privacy",
                        principalTable: "purposes",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "consent_proofs",
                schema: "privacy",
                columns: table => new
                {
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    ip_address = table.Column<IPAddress>(type: "inet", nullable: true),
                    user_agent = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    ip_address_hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: true),
                    user_agent_hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: true),
                    erased_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consent_proofs", x => x.event_id);
                    table.ForeignKey(
                        name: "fk_consent_proofs_consent_events_event_id",
                        column: x => x.event_id,
                        principalSchema: "privacy",
                        principalTable: "consent_events",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_consent_choices_purpose_key",
                schema: "privacy",
                table: "consent_choices",
                column: "purpose_key");

            migrationBuilder.CreateIndex(
                name: "ix_consent_choices_state",
                schema: "privacy",
                table: "consent_choices",
                columns: new[] { "subject_type", "subject_id", "purpose_key", "occurred_at", "sequence" },
                descending: new[] { false, false, false, true, true })
                .Annotation("Npgsql:IndexInclude", new[] { "granted", "event_id" });

            migrationBuilder.CreateIndex(
                name: "ix_consent_events_policy_version",
                schema: "privacy",
                table: "consent_events",
                column: "policy_version");

            migrationBuilder.CreateIndex(
                name: "ix_consent_events_subject_type_subject_id_occurred_at",
                schema: "privacy",
                table: "consent_events",
                columns: new[] { "subject_type", "subject_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_consent_subject_links_customer_number",
                schema: "privacy",
                table: "consent_subject_links",
                column: "customer_number");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_message_id",
                schema: "privacy",
                table: "outbox_messages",
                column: "message_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_pending",
                schema: "privacy",
                table: "outbox_messages",
                columns: new[] { "recipient_key", "id" },
                filter: "delivered_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_policy_versions_effective_from",
                schema: "privacy",
                table: "policy_versions",
                column: "effective_from",
                unique: true);

            // Consent events and choices are append-only (Art 7(1): the proof must stay as it was given).
            // Proofs may only lose their clear IP address and user agent (retention), never be deleted.
            migrationBuilder.Sql("""
                CREATE FUNCTION privacy.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '%.% is append-only (% refused)', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON privacy.consent_events
                    FOR EACH ROW EXECUTE FUNCTION privacy.refuse_change();
                CREATE TRIGGER consent_choices_append_only BEFORE UPDATE OR DELETE ON privacy.consent_choices
                    FOR EACH ROW EXECUTE FUNCTION privacy.refuse_change();

                CREATE FUNCTION privacy.consent_proofs_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.event_id = OLD.event_id
                       AND NEW.ip_address_hash IS NOT DISTINCT FROM OLD.ip_address_hash
                       AND NEW.user_agent_hash IS NOT DISTINCT FROM OLD.user_agent_hash
                       AND (NEW.ip_address IS NULL OR NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address)
                       AND (NEW.user_agent IS NULL OR NEW.user_agent IS NOT DISTINCT FROM OLD.user_agent) THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'privacy.consent_proofs only allows erasing the clear values (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                CREATE TRIGGER consent_proofs_erase_only BEFORE UPDATE OR DELETE ON privacy.consent_proofs
                    FOR EACH ROW EXECUTE FUNCTION privacy.consent_proofs_erase_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TABLE IF EXISTS privacy.consent_proofs, privacy.consent_choices, privacy.consent_events;
                DROP FUNCTION IF EXISTS privacy.refuse_change();
                DROP FUNCTION IF EXISTS privacy.consent_proofs_erase_only();
                """);

            migrationBuilder.DropTable(
                name: "consent_choices",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "consent_notices",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "consent_proofs",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "consent_subject_links",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "outbox_messages",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "consent_events",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "policy_versions",
                schema: "privacy");

            migrationBuilder.DropColumn(
                name: "always_on",
                schema: "privacy",
                table: "purposes");

            migrationBuilder.DropColumn(
                name: "limited_by_gpc",
                schema: "privacy",
                table: "purposes");
        }
    }
}
