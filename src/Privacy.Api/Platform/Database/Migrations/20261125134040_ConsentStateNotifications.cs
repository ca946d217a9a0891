using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class ConsentStateNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every replica's consent state cache listens on privacy_consent: a subject whose consent changed
            // (its own choices, or those of a visitor linked to it), or '*' when purposes or policy versions change.
            migrationBuilder.Sql("""
                CREATE FUNCTION privacy.notify_consent_choice() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    changed record := COALESCE(NEW, OLD);
                    linked text;
                BEGIN
                    PERFORM pg_notify('privacy_consent', changed.subject_type || ':' || changed.subject_id);
                    IF changed.subject_type = 'Visitor' THEN
                        SELECT customer_number INTO linked FROM privacy.consent_subject_links WHERE visitor_id = changed.subject_id;
                        IF linked IS NOT NULL THEN
                            PERFORM pg_notify('privacy_consent', 'Customer:' || linked);
                        END IF;
                    END IF;
                    RETURN NULL;
                END;
                $$;
                CREATE TRIGGER consent_choices_notify AFTER INSERT OR UPDATE OR DELETE ON privacy.consent_choices
                    FOR EACH ROW EXECUTE FUNCTION privacy.notify_consent_choice();

                CREATE FUNCTION privacy.notify_consent_link() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP <> 'INSERT' THEN
                        PERFORM pg_notify('privacy_consent', 'Customer:' || OLD.customer_number);
                    END IF;
                    IF TG_OP <> 'DELETE' THEN
                        PERFORM pg_notify('privacy_consent', 'Customer:' || NEW.customer_number);
                    END IF;
                    RETURN NULL;
                END;
                $$;
                CREATE TRIGGER consent_subject_links_notify AFTER INSERT OR UPDATE OR DELETE ON privacy.consent_subject_links
                    FOR EACH ROW EXECUTE FUNCTION privacy.notify_consent_link();

                CREATE FUNCTION privacy.notify_consent_all() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('privacy_consent', '*');
                    RETURN NULL;
                END;
                $$;
                CREATE TRIGGER purposes_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON privacy.purposes
                    FOR EACH STATEMENT EXECUTE FUNCTION privacy.notify_consent_all();
                CREATE TRIGGER policy_versions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON privacy.policy_versions
                    FOR EACH STATEMENT EXECUTE FUNCTION privacy.notify_consent_all();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS policy_versions_notify ON privacy.policy_versions;
                DROP TRIGGER IF EXISTS purposes_notify ON privacy.purposes;
                DROP TRIGGER IF EXISTS consent_subject_links_notify ON privacy.consent_subject_links;
                DROP TRIGGER IF EXISTS consent_choices_notify ON privacy.consent_choices;
                DROP FUNCTION IF EXISTS privacy.notify_consent_all();
                DROP FUNCTION IF EXISTS privacy.notify_consent_link();
                DROP FUNCTION IF EXISTS privacy.notify_consent_choice();
                """);
        }
    }
}
