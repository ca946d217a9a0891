using Microsoft.EntityFrameworkCore.Migrations;
using Privacy.Api.Registry;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <summary>
    /// Names and plain-language descriptions in Swedish and English for every registry entry (Art 12(1)). Existing databases: the
    /// seed inserts missing entries only, so the seeded entries get their texts here, each change audited. An entry whose name
    /// ops changed keeps no text (its meaning may have moved): the registry lists it as a missing translation.
    /// </summary>
    public partial class RegistryTexts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "description_en",
                schema: "privacy",
                table: "recipients",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "description_sv",
                schema: "privacy",
                table: "recipients",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name_en",
                schema: "privacy",
                table: "recipients",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name_sv",
                schema: "privacy",
                table: "recipients",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "description_en",
                schema: "privacy",
                table: "purposes",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "description_sv",
                schema: "privacy",
                table: "purposes",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name_en",
                schema: "privacy",
                table: "purposes",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name_sv",
                schema: "privacy",
                table: "purposes",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "description_en",
                schema: "privacy",
                table: "internal_systems",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "description_sv",
                schema: "privacy",
                table: "internal_systems",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name_en",
                schema: "privacy",
                table: "internal_systems",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name_sv",
                schema: "privacy",
                table: "internal_systems",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "description_en",
                schema: "privacy",
                table: "data_categories",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "description_sv",
                schema: "privacy",
                table: "data_categories",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name_en",
                schema: "privacy",
                table: "data_categories",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name_sv",
                schema: "privacy",
                table: "data_categories",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            Backfill(migrationBuilder, "data_categories", "DataCategory", RegistrySeed.Categories.Select(c => (c.Key, c.Name)), RegistrySeedTexts.Categories);
            Backfill(migrationBuilder, "purposes", "Purpose", RegistrySeed.Purposes.Select(p => (p.Key, p.Name)), RegistrySeedTexts.Purposes);
            Backfill(migrationBuilder, "recipients", "Recipient", RegistrySeed.Recipients.Select(r => (r.Key, r.Name)), RegistrySeedTexts.Recipients);
            Backfill(migrationBuilder, "internal_systems", "InternalSystem", RegistrySeed.Systems.Select(s => (s.Key, s.Name)), RegistrySeedTexts.Systems);
        }

        /// <summary>The seed's texts for the seeded keys whose name is still the seeded one; one audit entry per entry changed.</summary>
        private static void Backfill(MigrationBuilder migrationBuilder, string table, string type, IEnumerable<(string Key, string Name)> seeded,
            IReadOnlyDictionary<string, RegistrySeedTexts.Texts> texts)
        {
            static string Q(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
            var values = string.Join(",\n", seeded.Where(e => texts.ContainsKey(e.Key)).Select(e =>
            {
                var t = texts[e.Key];
                return $"({Q(e.Key)}, {Q(e.Name)}, {Q(t.NameSv)}, {Q(t.NameEn)}, {Q(t.DescriptionSv)}, {Q(t.DescriptionEn)})";
            }));
            migrationBuilder.Sql($"""
                WITH seeded(key, name, name_sv, name_en, description_sv, description_en) AS (VALUES
                {values}
                ),
                updated AS (
                    UPDATE privacy.{table} t
                    SET name_sv = s.name_sv, name_en = s.name_en, description_sv = s.description_sv, description_en = s.description_en
                    FROM seeded s
                    WHERE t.key = s.key AND t.name = s.name
                    RETURNING t.key
                )
                INSERT INTO privacy.audit_entries (occurred_at, actor_key_id, actor_role, action, entity_type, entity_id, details)
                SELECT date_trunc('microseconds', now()), 'privacy-service', 'service', 'registry.{type}.migrated', 'registry.{type}', key,
                       jsonb_build_object('texts', 'nameSv nameEn descriptionSv descriptionEn')
                FROM updated;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "description_en",
                schema: "privacy",
                table: "recipients");

            migrationBuilder.DropColumn(
                name: "description_sv",
                schema: "privacy",
                table: "recipients");

            migrationBuilder.DropColumn(
                name: "name_en",
                schema: "privacy",
                table: "recipients");

            migrationBuilder.DropColumn(
                name: "name_sv",
                schema: "privacy",
                table: "recipients");

            migrationBuilder.DropColumn(
                name: "description_en",
                schema: "privacy",
                table: "purposes");

            migrationBuilder.DropColumn(
                name: "description_sv",
                schema: "privacy",
                table: "purposes");

            migrationBuilder.DropColumn(
                name: "name_en",
                schema: "privacy",
                table: "purposes");

            migrationBuilder.DropColumn(
                name: "name_sv",
                schema: "privacy",
                table: "purposes");

            migrationBuilder.DropColumn(
                name: "description_en",
                schema: "privacy",
                table: "internal_systems");

            migrationBuilder.DropColumn(
                name: "description_sv",
                schema: "privacy",
                table: "internal_systems");

            migrationBuilder.DropColumn(
                name: "name_en",
                schema: "privacy",
                table: "internal_systems");

            migrationBuilder.DropColumn(
                name: "name_sv",
                schema: "privacy",
                table: "internal_systems");

            migrationBuilder.DropColumn(
                name: "description_en",
                schema: "privacy",
                table: "data_categories");

            migrationBuilder.DropColumn(
                name: "description_sv",
                schema: "privacy",
                table: "data_categories");

            migrationBuilder.DropColumn(
                name: "name_en",
                schema: "privacy",
                table: "data_categories");

            migrationBuilder.DropColumn(
                name: "name_sv",
                schema: "privacy",
                table: "data_categories");
        }
    }
}
