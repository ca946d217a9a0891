using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class PurposeConsentChannels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string[]>(
                name: "consent_channels",
                schema: "privacy",
                table: "purposes",
                type: "text[]",
                nullable: false,
                defaultValue: new string[0]);

            // Existing databases: the seed inserts only missing purposes, so the seeded consent purposes get their channels here
            // (the values of RegistrySeed.ConsentChannels when this migration was written). Any other purpose that takes consent
            // (created by ops) keeps what it had before, every channel, until ops narrow it. Each change is audited.
            migrationBuilder.Sql("""
                WITH channels(key, consent_channels) AS (
                    VALUES ('cookies.necessary', ARRAY['Banner', 'SettingsPage', 'Ops']),
                           ('cookies.preferences', ARRAY['Banner', 'SettingsPage', 'Ops']),
                           ('cookies.statistics', ARRAY['Banner', 'SettingsPage', 'Ops']),
                           ('newsletter', ARRAY['SignupForm', 'SettingsPage', 'EmailLink', 'Ops']),
                           ('third_party_marketing', ARRAY['SettingsPage', 'SignupForm', 'Ops']),
                           ('publication', ARRAY['SettingsPage', 'SignupForm', 'Ops'])
                ),
                updated AS (
                    UPDATE privacy.purposes p
                    SET consent_channels = COALESCE(c.consent_channels, ARRAY['Banner', 'SettingsPage', 'SignupForm', 'EmailLink', 'Ops'])
                    FROM privacy.purposes q LEFT JOIN channels c ON c.key = q.key
                    WHERE p.key = q.key AND (p.legal_basis = 'Consent' OR p.always_on)
                    RETURNING p.key, p.consent_channels
                )
                INSERT INTO privacy.audit_entries (occurred_at, actor_key_id, actor_role, action, entity_type, entity_id, details)
                SELECT date_trunc('microseconds', now()), 'privacy-service', 'service', 'registry.Purpose.migrated', 'registry.Purpose', key,
                       jsonb_build_object('consentChannels', consent_channels)
                FROM updated;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "consent_channels",
                schema: "privacy",
                table: "purposes");
        }
    }
}
