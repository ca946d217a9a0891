using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <inheritdoc />
    public partial class OutboxChains : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_pending_order",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.AddColumn<long>(
                name: "chain_position",
                schema: "privacy",
                table: "outbox_messages",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "previous_id",
                schema: "privacy",
                table: "outbox_messages",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_chain",
                schema: "privacy",
                table: "outbox_messages",
                columns: new[] { "recipient_key", "ordering_key", "chain_position" });

            // Each new message is linked to the one written before it for the same recipient and key, under a lock per key,
            // so concurrent writers form one chain in commit order. (Queries in a BEFORE ROW trigger see rows committed
            // since the statement began, and the rows this statement wrote before.)
            migrationBuilder.Sql("""
                CREATE FUNCTION privacy.outbox_messages_link() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE tail record;
                BEGIN
                    IF NEW.ordering_key IS NULL THEN
                        NEW.previous_id := NULL;
                        NEW.chain_position := NULL;
                        RETURN NEW;
                    END IF;
                    PERFORM pg_advisory_xact_lock(hashtextextended('outbox:' || NEW.recipient_key || ':' || NEW.ordering_key, 0));
                    SELECT id, chain_position INTO tail FROM privacy.outbox_messages
                    WHERE recipient_key = NEW.recipient_key AND ordering_key = NEW.ordering_key AND chain_position IS NOT NULL
                    ORDER BY chain_position DESC LIMIT 1;
                    NEW.previous_id := tail.id;
                    NEW.chain_position := COALESCE(tail.chain_position, 0) + 1;
                    RETURN NEW;
                END $$;

                CREATE TRIGGER outbox_messages_link BEFORE INSERT ON privacy.outbox_messages
                    FOR EACH ROW EXECUTE FUNCTION privacy.outbox_messages_link();

                WITH chain AS (
                    SELECT id, row_number() OVER w AS position, lag(id) OVER w AS previous
                    FROM privacy.outbox_messages WHERE ordering_key IS NOT NULL
                    WINDOW w AS (PARTITION BY recipient_key, ordering_key ORDER BY id))
                UPDATE privacy.outbox_messages m SET chain_position = chain.position, previous_id = chain.previous
                FROM chain WHERE m.id = chain.id;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS outbox_messages_link ON privacy.outbox_messages;
                DROP FUNCTION IF EXISTS privacy.outbox_messages_link();
                """);

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_chain",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "chain_position",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "previous_id",
                schema: "privacy",
                table: "outbox_messages");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_pending_order",
                schema: "privacy",
                table: "outbox_messages",
                columns: new[] { "recipient_key", "ordering_key", "id" },
                filter: "delivered_at IS NULL AND dead_lettered_at IS NULL");
        }
    }
}
