using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class ObjectionHoldsAndMessages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<List<string>>(
                name: "customer_numbers",
                schema: "privacy",
                table: "rights_request_tasks",
                type: "text[]",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "hold_id",
                schema: "privacy",
                table: "rights_request_tasks",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "direct_marketing",
                schema: "privacy",
                table: "purposes",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // The policy's direct marketing (RegistrySeed.DirectMarketingPurposes): an objection to it is absolute (Art 21(3)).
            migrationBuilder.Sql("UPDATE privacy.purposes SET direct_marketing = true WHERE key IN ('newsletter', 'third_party_marketing')");

            migrationBuilder.CreateTable(
                name: "rights_request_messages",
                schema: "privacy",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    channel = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    language = table.Column<string>(type: "character varying(2)", maxLength: 2, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    outbox_message_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rights_request_messages", x => x.id);
                    table.ForeignKey(
                        name: "fk_rights_request_messages_rights_request_request_id",
                        column: x => x.request_id,
                        principalSchema: "privacy",
                        principalTable: "rights_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_tasks_hold_id",
                schema: "privacy",
                table: "rights_request_tasks",
                column: "hold_id",
                filter: "hold_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_messages_request_id_kind",
                schema: "privacy",
                table: "rights_request_messages",
                columns: new[] { "request_id", "kind" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rights_request_messages",
                schema: "privacy");

            migrationBuilder.DropIndex(
                name: "ix_rights_request_tasks_hold_id",
                schema: "privacy",
                table: "rights_request_tasks");

            migrationBuilder.DropColumn(
                name: "customer_numbers",
                schema: "privacy",
                table: "rights_request_tasks");

            migrationBuilder.DropColumn(
                name: "hold_id",
                schema: "privacy",
                table: "rights_request_tasks");

            migrationBuilder.DropColumn(
                name: "direct_marketing",
                schema: "privacy",
                table: "purposes");
        }
    }
}
