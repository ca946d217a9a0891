using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class ConsentChoiceNotifyOldSubject : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A consent choice whose subject changes (pseudonymised on erasure) is news for the old subject too: every
            // replica's cache must forget it. Notifies each subject the row had or has, and a visitor's linked customer.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION privacy.notify_consent_choice() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    subject record;
                    linked text;
                BEGIN
                    FOR subject IN
                        SELECT NEW.subject_type AS type, NEW.subject_id AS id WHERE TG_OP <> 'DELETE'
                        UNION
                        SELECT OLD.subject_type, OLD.subject_id WHERE TG_OP <> 'INSERT'
                    LOOP
                        PERFORM pg_notify('privacy_consent', subject.type || ':' || subject.id);
                        IF subject.type = 'Visitor' THEN
                            SELECT customer_number INTO linked FROM privacy.consent_subject_links WHERE visitor_id = subject.id;
                            IF linked IS NOT NULL THEN
                                PERFORM pg_notify('privacy_consent', 'Customer:' || linked);
                            END IF;
                        END IF;
                    END LOOP;
                    RETURN NULL;
                END;
                $$;
                """);


        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION privacy.notify_consent_choice() RETURNS trigger LANGUAGE plpgsql AS $$
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
                """);


        }
    }
}
