using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class DataKeyIds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "key_id",
                schema: "privacy",
                table: "webhook_secrets",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "legacy"); // the secrets from before the keyring: encrypted under Consent:ProofHashKey

            migrationBuilder.AddColumn<string>(
                name: "national_id_key_id",
                schema: "privacy",
                table: "rights_requests",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<List<string>>(
                name: "hashes_under_other_keys",
                schema: "privacy",
                table: "rights_request_identifiers",
                type: "text[]",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "key_id",
                schema: "privacy",
                table: "rights_request_identifiers",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "national_id_key_id",
                schema: "privacy",
                table: "disclosures",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "key_id",
                schema: "privacy",
                table: "consent_proofs",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            // The other key ids stay NULL on rows from before the keyring (the legacy key made those hashes): consent proofs and
            // disclosures are append-only. A proof's key id is as fixed as its hashes.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION privacy.consent_proofs_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.event_id = OLD.event_id
                       AND NEW.key_id IS NOT DISTINCT FROM OLD.key_id
                       AND (NEW.ip_address_hash IS NULL OR NEW.ip_address_hash IS NOT DISTINCT FROM OLD.ip_address_hash)
                       AND (NEW.user_agent_hash IS NULL OR NEW.user_agent_hash IS NOT DISTINCT FROM OLD.user_agent_hash)
                       AND (NEW.ip_address IS NULL OR NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address)
                       AND (NEW.user_agent IS NULL OR NEW.user_agent IS NOT DISTINCT FROM OLD.user_agent) THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'privacy.consent_proofs only allows erasing the clear values (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION privacy.consent_proofs_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.event_id = OLD.event_id
                       AND (NEW.ip_address_hash IS NULL OR NEW.ip_address_hash IS NOT DISTINCT FROM OLD.ip_address_hash)
                       AND (NEW.user_agent_hash IS NULL OR NEW.user_agent_hash IS NOT DISTINCT FROM OLD.user_agent_hash)
                       AND (NEW.ip_address IS NULL OR NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address)
                       AND (NEW.user_agent IS NULL OR NEW.user_agent IS NOT DISTINCT FROM OLD.user_agent) THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'privacy.consent_proofs only allows erasing the clear values (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                """);

            migrationBuilder.DropColumn(
                name: "key_id",
                schema: "privacy",
                table: "webhook_secrets");

            migrationBuilder.DropColumn(
                name: "national_id_key_id",
                schema: "privacy",
                table: "rights_requests");

            migrationBuilder.DropColumn(
                name: "hashes_under_other_keys",
                schema: "privacy",
                table: "rights_request_identifiers");

            migrationBuilder.DropColumn(
                name: "key_id",
                schema: "privacy",
                table: "rights_request_identifiers");

            migrationBuilder.DropColumn(
                name: "national_id_key_id",
                schema: "privacy",
                table: "disclosures");

            migrationBuilder.DropColumn(
                name: "key_id",
                schema: "privacy",
                table: "consent_proofs");
        }
    }
}
