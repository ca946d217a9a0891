using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class ConsentErasure : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Consent events and choices stay append-only, with one exception for erasure and anonymisation (Art 17): the
            // subject may be replaced by an "erased:" pseudonym, once, and nothing else may change.
            migrationBuilder.Sql("""
                CREATE FUNCTION privacy.consent_pseudonymise_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.subject_id LIKE 'erased:%' AND OLD.subject_id NOT LIKE 'erased:%'
                       AND (to_jsonb(NEW) - 'subject_id') = (to_jsonb(OLD) - 'subject_id') THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION '%.% is append-only; only the subject may be replaced by an erased pseudonym (% refused)',
                        TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                DROP TRIGGER consent_events_append_only ON privacy.consent_events;
                CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON privacy.consent_events
                    FOR EACH ROW EXECUTE FUNCTION privacy.consent_pseudonymise_only();
                DROP TRIGGER consent_choices_append_only ON privacy.consent_choices;
                CREATE TRIGGER consent_choices_append_only BEFORE UPDATE OR DELETE ON privacy.consent_choices
                    FOR EACH ROW EXECUTE FUNCTION privacy.consent_pseudonymise_only();
                """);


        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER consent_events_append_only ON privacy.consent_events;
                CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON privacy.consent_events
                    FOR EACH ROW EXECUTE FUNCTION privacy.refuse_change();
                DROP TRIGGER consent_choices_append_only ON privacy.consent_choices;
                CREATE TRIGGER consent_choices_append_only BEFORE UPDATE OR DELETE ON privacy.consent_choices
                    FOR EACH ROW EXECUTE FUNCTION privacy.refuse_change();
                DROP FUNCTION privacy.consent_pseudonymise_only();
                """);


        }
    }
}
