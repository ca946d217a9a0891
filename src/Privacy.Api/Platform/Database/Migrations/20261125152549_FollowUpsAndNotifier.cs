using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class FollowUpsAndNotifier : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_pending",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.AddColumn<Guid>(
                name: "claimed_by",
                schema: "privacy",
                table: "outbox_messages",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "claimed_until",
                schema: "privacy",
                table: "outbox_messages",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "dead_lettered_at",
                schema: "privacy",
                table: "outbox_messages",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_attempt_at",
                schema: "privacy",
                table: "outbox_messages",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "last_error",
                schema: "privacy",
                table: "outbox_messages",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "last_status_code",
                schema: "privacy",
                table: "outbox_messages",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "next_attempt_at",
                schema: "privacy",
                table: "outbox_messages",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            migrationBuilder.AddColumn<string>(
                name: "ordering_key",
                schema: "privacy",
                table: "outbox_messages",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "follow_ups",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    transaction_id = table.Column<ulong>(type: "xid8", nullable: false, defaultValueSql: "pg_current_xact_id()"),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    recipient_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    customer_number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    categories = table.Column<List<string>>(type: "text[]", nullable: false),
                    purposes = table.Column<List<string>>(type: "text[]", nullable: false),
                    corrections = table.Column<string>(type: "jsonb", nullable: true),
                    reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    reference = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    requested_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    acknowledged_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    acknowledged_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    acknowledgement_reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_follow_ups", x => x.id);
                    table.ForeignKey(
                        name: "fk_follow_ups_recipients_recipient_key",
                        column: x => x.recipient_key,
                        principalSchema: "privacy",
                        principalTable: "recipients",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "webhook_endpoints",
                schema: "privacy",
                columns: table => new
                {
                    recipient_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    url = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    disabled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    disabled_reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_webhook_endpoints", x => x.recipient_key);
                    table.ForeignKey(
                        name: "fk_webhook_endpoints_recipients_recipient_key",
                        column: x => x.recipient_key,
                        principalSchema: "privacy",
                        principalTable: "recipients",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "webhook_secrets",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    recipient_key = table.Column<string>(type: "character varying(100)", nullable: false),
                    @protected = table.Column<byte[]>(name: "protected", type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_webhook_secrets", x => x.id);
                    table.ForeignKey(
                        name: "fk_webhook_secrets_webhook_endpoints_recipient_key",
                        column: x => x.recipient_key,
                        principalSchema: "privacy",
                        principalTable: "webhook_endpoints",
                        principalColumn: "recipient_key",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_pending",
                schema: "privacy",
                table: "outbox_messages",
                column: "id",
                filter: "delivered_at IS NULL AND dead_lettered_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_pending_order",
                schema: "privacy",
                table: "outbox_messages",
                columns: new[] { "recipient_key", "ordering_key", "id" },
                filter: "delivered_at IS NULL AND dead_lettered_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_recipient",
                schema: "privacy",
                table: "outbox_messages",
                columns: new[] { "recipient_key", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_follow_ups_customer_number_id",
                schema: "privacy",
                table: "follow_ups",
                columns: new[] { "customer_number", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_follow_ups_feed",
                schema: "privacy",
                table: "follow_ups",
                columns: new[] { "recipient_key", "transaction_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_follow_ups_message_id",
                schema: "privacy",
                table: "follow_ups",
                column: "message_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_follow_ups_recipient_key_status_id",
                schema: "privacy",
                table: "follow_ups",
                columns: new[] { "recipient_key", "status", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_webhook_secrets_recipient_key",
                schema: "privacy",
                table: "webhook_secrets",
                column: "recipient_key");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "follow_ups",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "webhook_secrets",
                schema: "privacy");

            migrationBuilder.DropTable(
                name: "webhook_endpoints",
                schema: "privacy");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_pending",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_pending_order",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_recipient",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "claimed_by",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "claimed_until",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "dead_lettered_at",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "last_attempt_at",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "last_error",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "last_status_code",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "next_attempt_at",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "ordering_key",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_pending",
                schema: "privacy",
                table: "outbox_messages",
                columns: new[] { "recipient_key", "id" },
                filter: "delivered_at IS NULL");
        }
    }
}
