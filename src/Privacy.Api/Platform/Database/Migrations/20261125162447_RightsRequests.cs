using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class RightsRequests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_outbox_messages_recipients_recipient_key",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropForeignKey(
                name: "fk_webhook_endpoints_recipients_recipient_key",
                schema: "privacy",
                table: "webhook_endpoints");

            migrationBuilder.AlterColumn<string>(
                name: "recipient_key",
                schema: "privacy",
                table: "webhook_secrets",
                type: "text",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(100)");

            migrationBuilder.AlterColumn<string>(
                name: "recipient_key",
                schema: "privacy",
                table: "webhook_endpoints",
                type: "text",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(100)");

            migrationBuilder.AlterColumn<string>(
                name: "recipient_key",
                schema: "privacy",
                table: "outbox_messages",
                type: "text",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(100)");

            migrationBuilder.CreateTable(
                name: "rights_requests",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    channel = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    email = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    national_id_hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: true),
                    language = table.Column<string>(type: "character varying(2)", maxLength: 2, nullable: false),
                    changes = table.Column<string>(type: "jsonb", nullable: true),
                    categories = table.Column<List<string>>(type: "text[]", nullable: true),
                    purpose = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    note = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    due_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    extended_due_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    extension_reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    closed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resolution = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    submitted_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rights_requests", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "rights_request_tasks",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    target_kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    target = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    categories = table.Column<List<string>>(type: "text[]", nullable: false),
                    kept_under = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    kept_until = table.Column<DateOnly>(type: "date", nullable: true),
                    follow_up_id = table.Column<long>(type: "bigint", nullable: true),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    outcome = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    result = table.Column<string>(type: "jsonb", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    completed_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rights_request_tasks", x => x.id);
                    table.ForeignKey(
                        name: "fk_rights_request_tasks_rights_requests_request_id",
                        column: x => x.request_id,
                        principalSchema: "privacy",
                        principalTable: "rights_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "rights_request_transitions",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    from = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    to = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    actor = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rights_request_transitions", x => x.id);
                    table.ForeignKey(
                        name: "fk_rights_request_transitions_rights_requests_request_id",
                        column: x => x.request_id,
                        principalSchema: "privacy",
                        principalTable: "rights_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_tasks_follow_up_id",
                schema: "privacy",
                table: "rights_request_tasks",
                column: "follow_up_id",
                unique: true,
                filter: "follow_up_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_tasks_request_id",
                schema: "privacy",
                table: "rights_request_tasks",
                column: "request_id");

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_tasks_target_kind_target_status_id",
                schema: "privacy",
                table: "rights_request_tasks",
                columns: new[] { "target_kind", "target", "status", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_transitions_request_id",
                schema: "privacy",
                table: "rights_request_transitions",
                column: "request_id");

            migrationBuilder.CreateIndex(
                name: "ix_rights_requests_customer_number",
                schema: "privacy",
                table: "rights_requests",
                column: "customer_number");

            migrationBuilder.CreateIndex(
                name: "ix_rights_requests_status_due_at",
                schema: "privacy",
                table: "rights_requests",
                columns: new[] { "status", "due_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rights_request_tasks",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "rights_request_transitions",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "rights_requests",
                schema: "privacy");

            migrationBuilder.AlterColumn<string>(
                name: "recipient_key",
                schema: "privacy",
                table: "webhook_secrets",
                type: "character varying(100)",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AlterColumn<string>(
                name: "recipient_key",
                schema: "privacy",
                table: "webhook_endpoints",
                type: "character varying(100)",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AlterColumn<string>(
                name: "recipient_key",
                schema: "privacy",
                table: "outbox_messages",
                type: "character varying(100)",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AddForeignKey(
                name: "fk_outbox_messages_recipients_recipient_key",
                schema: "privacy",
                table: "outbox_messages",
                column: "recipient_key",
                principalSchema: "privacy",
                principalTable: "recipients",
                principalColumn: "key",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_webhook_endpoints_recipients_recipient_key",
                schema: "privacy",
                table: "webhook_endpoints",
                column: "recipient_key",
                principalSchema: "privacy",
                principalTable: "recipients",
                principalColumn: "key",
                onDelete: ReferentialAction.Restrict);
        }
    }
}
