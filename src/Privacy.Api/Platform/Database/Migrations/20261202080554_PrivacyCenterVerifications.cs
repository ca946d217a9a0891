using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class PrivacyCenterVerifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "rights_request_verifications",
                schema: "privacy",
                columns: table => new
                {
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    email_key = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    code_hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    code_salt = table.Column<byte[]>(type: "bytea", maxLength: 16, nullable: false),
                    code_issued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    code_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    resends = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    verified_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    locked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    reminded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    closed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rights_request_verifications", x => x.request_id);
                    table.ForeignKey(
                        name: "fk_rights_request_verifications_rights_request_request_id",
                        column: x => x.request_id,
                        principalSchema: "privacy",
                        principalTable: "rights_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_verifications_email_key_created_at",
                schema: "privacy",
                table: "rights_request_verifications",
                columns: new[] { "email_key", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_rights_request_verifications_open",
                schema: "privacy",
                table: "rights_request_verifications",
                column: "created_at",
                filter: "verified_at IS NULL AND closed_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rights_request_verifications",
                schema: "privacy");
        }
    }
}
