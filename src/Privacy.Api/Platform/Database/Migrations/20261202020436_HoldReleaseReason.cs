using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class HoldReleaseReason : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "release_reason",
                schema: "privacy",
                table: "legal_holds",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "release_reason",
                schema: "privacy",
                table: "legal_holds");
        }
    }
}
