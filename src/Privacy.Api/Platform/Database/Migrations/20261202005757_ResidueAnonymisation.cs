using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class ResidueAnonymisation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Art 5(1)(e), 17: the append-only records may lose what identifies someone once their period has run, and nothing else.
            // - Consent events and choices: the subject may become an "erased:" pseudonym once, and a pseudonym that is not yet a random
            //   token (the keyed one an erasure leaves as proof) may become one: erased: and 32 hex digits.
            // - Consent proofs: the keyed hashes of the IP address and user agent may be removed too.
            // - Disclosures: the customer number may become a random token, and the national identity number's hash and the sender's
            //   reference may be removed; nothing else changes and no row is deleted.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION privacy.consent_pseudonymise_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.subject_id LIKE 'erased:%'
                       AND (OLD.subject_id NOT LIKE 'erased:%'
                            OR (OLD.subject_id !~ '^erased:[0-9a-f]{32}$' AND NEW.subject_id ~ '^erased:[0-9a-f]{32}$'))
                       AND (to_jsonb(NEW) - 'subject_id') = (to_jsonb(OLD) - 'subject_id') THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION '%.% is append-only; only the subject may be replaced by an erased pseudonym (% refused)',
                        TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;

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

                CREATE FUNCTION privacy.disclosures_anonymise_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE'
                       AND (NEW.customer_number = OLD.customer_number
                            OR (OLD.customer_number !~ '^erased:[0-9a-f]{32}$' AND NEW.customer_number ~ '^erased:[0-9a-f]{32}$'))
                       AND (NEW.national_id_hash IS NULL OR NEW.national_id_hash IS NOT DISTINCT FROM OLD.national_id_hash)
                       AND (NEW.sender_reference IS NULL OR NEW.sender_reference IS NOT DISTINCT FROM OLD.sender_reference)
                       AND (to_jsonb(NEW) - 'customer_number' - 'national_id_hash' - 'sender_reference')
                           = (to_jsonb(OLD) - 'customer_number' - 'national_id_hash' - 'sender_reference') THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'privacy.disclosures is append-only; only its identifiers may be anonymised (% refused)', TG_OP
                        USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                DROP TRIGGER disclosures_append_only ON privacy.disclosures;
                CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE ON privacy.disclosures
                    FOR EACH ROW EXECUTE FUNCTION privacy.disclosures_anonymise_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER disclosures_append_only ON privacy.disclosures;
                CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE ON privacy.disclosures
                    FOR EACH ROW EXECUTE FUNCTION privacy.refuse_change();
                DROP FUNCTION privacy.disclosures_anonymise_only();

                CREATE OR REPLACE FUNCTION privacy.consent_proofs_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.event_id = OLD.event_id
                       AND NEW.ip_address_hash IS NOT DISTINCT FROM OLD.ip_address_hash
                       AND NEW.user_agent_hash IS NOT DISTINCT FROM OLD.user_agent_hash
                       AND (NEW.ip_address IS NULL OR NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address)
                       AND (NEW.user_agent IS NULL OR NEW.user_agent IS NOT DISTINCT FROM OLD.user_agent) THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'privacy.consent_proofs only allows erasing the clear values (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;

                CREATE OR REPLACE FUNCTION privacy.consent_pseudonymise_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.subject_id LIKE 'erased:%' AND OLD.subject_id NOT LIKE 'erased:%'
                       AND (to_jsonb(NEW) - 'subject_id') = (to_jsonb(OLD) - 'subject_id') THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION '%.% is append-only; only the subject may be replaced by an erased pseudonym (% refused)',
                        TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                """);
        }
    }
}
