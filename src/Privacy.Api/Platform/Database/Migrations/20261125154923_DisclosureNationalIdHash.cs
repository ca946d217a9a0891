using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class DisclosureNationalIdHash : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "national_id_hash",
                schema: "privacy",
                table: "disclosures",
                type: "character(64)",
                fixedLength: true,
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_disclosures_national_id_hash_id",
                schema: "privacy",
                table: "disclosures",
                columns: new[] { "national_id_hash", "id" },
                filter: "national_id_hash IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_disclosures_national_id_hash_id",
                schema: "privacy",
                table: "disclosures");

            migrationBuilder.DropColumn(
                name: "national_id_hash",
                schema: "privacy",
                table: "disclosures");
        }
    }
}
