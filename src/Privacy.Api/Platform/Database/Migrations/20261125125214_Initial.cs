using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "privacy");

            migrationBuilder.CreateTable(
                name: "audit_entries",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    actor_key_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    actor_role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    action = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    entity_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    entity_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    details = table.Column<string>(type: "jsonb", nullable: true),
                    chain_position = table.Column<long>(type: "bigint", nullable: true),
                    previous_seal = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: true),
                    seal = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: true),
                    sealed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_entries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "data_categories",
                schema: "privacy",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    retired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_categories", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_records",
                schema: "privacy",
                columns: table => new
                {
                    caller_key_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    idempotency_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    request_hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    status_code = table.Column<int>(type: "integer", nullable: true),
                    response_body = table.Column<string>(type: "text", nullable: true),
                    location = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_records", x => new { x.caller_key_id, x.idempotency_key });
                });

            migrationBuilder.CreateTable(
                name: "internal_systems",
                schema: "privacy",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    retired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_internal_systems", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "purposes",
                schema: "privacy",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    legal_basis = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    data_subjects = table.Column<string[]>(type: "text[]", nullable: false),
                    retention = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    retired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_purposes", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "recipients",
                schema: "privacy",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    country = table.Column<string>(type: "character(2)", fixedLength: true, maxLength: 2, nullable: false),
                    transfer_safeguard = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    contact = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    retired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_recipients", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "internal_system_categories",
                schema: "privacy",
                columns: table => new
                {
                    system_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    category_key = table.Column<string>(type: "character varying(100)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_internal_system_categories", x => new { x.system_key, x.category_key });
                    table.ForeignKey(
                        name: "fk_internal_system_categories_data_categories_category_key",
                        column: x => x.category_key,
                        principalSchema: "privacy",
                        principalTable: "data_categories",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_internal_system_categories_internal_systems_system_key",
                        column: x => x.system_key,
                        principalSchema: "privacy",
                        principalTable: "internal_systems",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "processing_links",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    purpose_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    category_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    recipient_key = table.Column<string>(type: "character varying(100)", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    retired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_processing_links", x => x.id);
                    table.ForeignKey(
                        name: "fk_processing_links_data_categories_category_key",
                        column: x => x.category_key,
                        principalSchema: "privacy",
                        principalTable: "data_categories",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_processing_links_purposes_purpose_key",
                        column: x => x.purpose_key,
                        principalSchema: "privacy",
                        principalTable: "purposes",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_processing_links_recipients_recipient_key",
                        column: x => x.recipient_key,
                        principalSchema: "privacy",
                        principalTable: "recipients",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_chain_position",
                schema: "privacy",
                table: "audit_entries",
                column: "chain_position",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_entity_type_entity_id",
                schema: "privacy",
                table: "audit_entries",
                columns: new[] { "entity_type", "entity_id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_unsealed",
                schema: "privacy",
                table: "audit_entries",
                column: "id",
                filter: "chain_position IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_records_created_at",
                schema: "privacy",
                table: "idempotency_records",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_internal_system_categories_category_key",
                schema: "privacy",
                table: "internal_system_categories",
                column: "category_key");

            migrationBuilder.CreateIndex(
                name: "ix_processing_links_category_key",
                schema: "privacy",
                table: "processing_links",
                column: "category_key");

            migrationBuilder.CreateIndex(
                name: "ix_processing_links_recipient_key",
                schema: "privacy",
                table: "processing_links",
                column: "recipient_key");

            migrationBuilder.CreateIndex(
                name: "ux_processing_links_active",
                schema: "privacy",
                table: "processing_links",
                columns: new[] { "purpose_key", "category_key", "recipient_key" },
                unique: true,
                filter: "retired_at IS NULL")
                .Annotation("Npgsql:NullsDistinct", false);

            // The audit log is append-only: rows are never deleted, and the only update allowed is the
            // sealer's one-time setting of the seal on an unsealed entry. Tampering that bypasses this
            // (a superuser disabling triggers) is still caught by the seal chain.
            migrationBuilder.Sql("""
                CREATE FUNCTION privacy.audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE'
                       AND OLD.chain_position IS NULL AND NEW.chain_position IS NOT NULL
                       AND NEW.seal IS NOT NULL AND NEW.previous_seal IS NOT NULL
                       AND (NEW.id, NEW.occurred_at, NEW.actor_key_id, NEW.actor_role, NEW.action, NEW.entity_type, NEW.entity_id)
                           IS NOT DISTINCT FROM (OLD.id, OLD.occurred_at, OLD.actor_key_id, OLD.actor_role, OLD.action, OLD.entity_type, OLD.entity_id)
                       AND NEW.details IS NOT DISTINCT FROM OLD.details THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'privacy.audit_entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON privacy.audit_entries
                    FOR EACH ROW EXECUTE FUNCTION privacy.audit_entries_append_only();
                CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON privacy.audit_entries
                    FOR EACH STATEMENT EXECUTE FUNCTION privacy.audit_entries_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE IF EXISTS privacy.audit_entries; DROP FUNCTION IF EXISTS privacy.audit_entries_append_only();");

            migrationBuilder.DropTable(
                name: "audit_entries",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "idempotency_records",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "internal_system_categories",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "processing_links",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "internal_systems",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "data_categories",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "purposes",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "recipients",
                schema: "privacy");
        }
    }
}
