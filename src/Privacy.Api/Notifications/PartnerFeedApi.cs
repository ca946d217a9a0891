using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Consent;
using Privacy.Api.Disclosures;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;

namespace Privacy.Api.Notifications;

/// <summary>A page of a partner's stream. <c>cursor</c> continues after the last entry; it is only valid for this partner.</summary>
public sealed record PartnerFeedPage(IReadOnlyList<PartnerFeedEntry> Items, string Cursor);

/// <summary>
/// One entry of a partner's stream: a disclosure made to it (<c>type</c> disclosure, <c>disclosure</c> set) or a
/// follow-up it must act on (<c>type</c> follow_up, <c>followUp</c> set).
/// </summary>
public sealed record PartnerFeedEntry(
    string Type, long Id, string CustomerNumber, IReadOnlyList<string> Categories, DateTimeOffset At,
    PartnerDisclosure? Disclosure, FollowUpNotice? FollowUp);

/// <summary>What was disclosed to the partner, for which purpose and on which ground.</summary>
public sealed record PartnerDisclosure(string Purpose, LegalGround LegalGround, string? Reference);

/// <summary>
/// The partner's own stream (R5): disclosures made to it and follow-ups addressed to it, in commit order,
/// and its acknowledgements of the follow-ups. A partner key sees only its own recipient.
/// </summary>
public static class PartnerFeedApi
{
    public static IEndpointRouteBuilder MapPartnerFeedApi(this IEndpointRouteBuilder routes)
    {
        var partner = routes.MapGroup("/partner").WithTags("Partner feed").RequireAuthorization(Policies.Partner);
        partner.MapGet("/feed", Feed)
            .WithName("ReadPartnerFeed")
            .WithSummary("Read your own stream: disclosures made to you and follow-ups you must act on, in order")
            .WithDescription("Only the calling partner's recipient. Page with the opaque `cursor` of the previous page (an empty page " +
                             "hands back the same cursor: poll with it later). Entries committed while you page are never skipped nor " +
                             "repeated: the feed stops short of transactions still running. A cursor is valid only for the partner it " +
                             "was given to. Follow-ups (rectify, erase, anonymise, restrict, consent withdrawn) carry the same `messageId` " +
                             "as their webhook, so a partner using both can drop duplicates.");
        partner.MapPost("/follow-ups/{id:long}/acknowledgement", Acknowledge)
            .WithName("AcknowledgeFollowUp")
            .WithSummary("Report a follow-up as done, or failed with the reason")
            .WithDescription("Only for your own follow-ups (others answer 404). A failed follow-up may later be reported done; a done one " +
                             "is final (409 for a different outcome, the same answer again for done). Audited and visible to ops.")
            .WithRequestExample(new AcknowledgeFollowUpRequest(FollowUpStatus.Done, null))
            .WithValidation<AcknowledgeFollowUpRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    // Entries of transactions older than every running one are final: nothing can commit before them any more.
    // A position is (transaction, kind, id): in one transaction the disclosures (kind 0) come before the follow-ups (kind 1).
    // (The text of the transaction id has its own name: ORDER BY a bare name would sort by the text, 1000 before 999.)
    private const string FeedSql = """
        WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
        SELECT * FROM (
            (SELECT d.transaction_id, 0 AS kind, d.id, d.customer_number, d.categories, d.disclosed_at AS at,
                    d.purpose_key, d.legal_ground, d.sender_reference,
                    NULL::uuid AS message_id, NULL AS action, NULL::text[] AS purposes, NULL AS corrections, NULL AS reason
             FROM privacy.disclosures d, horizon
             WHERE d.recipient_key = $1
               AND (d.transaction_id, d.id) > ($2::text::xid8, CASE WHEN $3 = 0 THEN $4 ELSE 9223372036854775807 END)
               AND d.transaction_id < horizon.xmin
             ORDER BY d.transaction_id, d.id
             LIMIT $5)
            UNION ALL
            (SELECT f.transaction_id, 1, f.id, f.customer_number, f.categories, f.created_at,
                    NULL, NULL, f.reference,
                    f.message_id, f.action, f.purposes, f.corrections::text, f.reason
             FROM privacy.follow_ups f, horizon
             WHERE f.recipient_key = $1
               AND (f.transaction_id, f.id) > ($2::text::xid8, CASE WHEN $3 = 1 THEN $4 ELSE -1 END)
               AND f.transaction_id < horizon.xmin
             ORDER BY f.transaction_id, f.id
             LIMIT $5)
        ) entries
        ORDER BY transaction_id, kind, id
        LIMIT $5
        """;

    public static async Task<Results<Ok<PartnerFeedPage>, ValidationProblem>> Feed(
        HttpContext http, NpgsqlDataSource dataSource, DataKeyring keyring, string? cursor, int? limit,
        CancellationToken cancellationToken)
    {
        var recipient = http.User.GetActor().Recipient!;
        if (Paging.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        // Sealed under the current key; one sealed before a rotation still reads while its key is active.
        var key = CursorKey(keyring.Current(DataKeyUse.SecretEncryption));
        var position = FeedPosition.Start;
        if (cursor is not null && !keyring.Active(DataKeyUse.SecretEncryption).Any(k => FeedPosition.TryRead(cursor, recipient, CursorKey(k), out position)))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["cursor"] = ["'cursor' is not a cursor of your feed: use the one the previous page returned."],
            });
        }

        await using var command = dataSource.CreateCommand(FeedSql);
        command.Parameters.AddWithValue(recipient);
        command.Parameters.AddWithValue(position.Transaction.ToString(CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue(position.Kind);
        command.Parameters.AddWithValue(position.Id);
        command.Parameters.AddWithValue(size);
        var items = new List<PartnerFeedEntry>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                position = new FeedPosition(reader.GetFieldValue<ulong>(0), reader.GetInt32(1), reader.GetInt64(2));
                items.Add(ReadEntry(reader, position));
            }
        }

        // The cursor always moves to the last entry seen (or stays): an empty page hands back the same position.
        return TypedResults.Ok(new PartnerFeedPage(items, position.Write(recipient, key)));
    }

    private static PartnerFeedEntry ReadEntry(NpgsqlDataReader reader, FeedPosition position)
    {
        var (customer, categories, at) = (reader.GetString(3), reader.GetFieldValue<string[]>(4), reader.GetFieldValue<DateTimeOffset>(5));
        string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
        if (position.Kind == 0)
        {
            return new PartnerFeedEntry("disclosure", position.Id, customer, categories, at,
                new PartnerDisclosure(reader.GetString(6), Enum.Parse<LegalGround>(reader.GetString(7)), Text(8)), null);
        }

        var notice = FollowUps.Notice(new FollowUp
        {
            Id = position.Id, MessageId = reader.GetGuid(9), RecipientKey = "", Action = Enum.Parse<FollowUpAction>(reader.GetString(10)),
            CustomerNumber = customer, Categories = [.. categories], Purposes = [.. reader.GetFieldValue<string[]>(11)],
            Corrections = Text(12), Reason = Text(13), Reference = Text(8), RequestedBy = "", CreatedAt = at,
        });
        return new PartnerFeedEntry("follow_up", position.Id, customer, categories, at, null, notice);
    }

    public static async Task<Results<Ok<FollowUpAcknowledged>, ProblemHttpResult, ValidationProblem>> Acknowledge(
        long id, AcknowledgeFollowUpRequest request, HttpContext http, PrivacyDbContext db, AuditTrail audit, TimeProvider time,
        IEnumerable<IFollowUpAcknowledgementHandler> handlers, CancellationToken cancellationToken)
    {
        var actor = http.User.GetActor();
        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        var followUp = await db.Set<FollowUp>()
            .FromSql($"SELECT * FROM privacy.follow_ups WHERE id = {id} AND recipient_key = {actor.Recipient} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (followUp is null)
        {
            // Another partner's follow-up is answered exactly like one that does not exist.
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"You have no follow-up {id}.");
        }

        var outcome = request.Outcome!.Value;
        if (followUp.Status == FollowUpStatus.Done)
        {
            return outcome == FollowUpStatus.Done
                ? TypedResults.Ok(new FollowUpAcknowledged(followUp.Id, followUp.Status, followUp.AcknowledgedAt!.Value, followUp.AcknowledgementReason))
                : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already done",
                    detail: $"Follow-up {id} was acknowledged as done at {followUp.AcknowledgedAt:O}; that is final.");
        }

        followUp.Status = outcome;
        followUp.AcknowledgedAt = time.GetUtcNow();
        followUp.AcknowledgedBy = actor.KeyId;
        followUp.AcknowledgementReason = request.Reason;
        audit.Record("follow_up.acknowledged", "follow_up", id.ToString(CultureInfo.InvariantCulture),
            // The partner's reason is free text (it may name the customer): it stays on the follow-up, under its retention.
            new { recipient = actor.Recipient, outcome = outcome.ToString(), reasonGiven = request.Reason is not null });
        foreach (var handler in handlers)
        {
            await handler.OnAcknowledgedAsync(followUp, actor.KeyId, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        return TypedResults.Ok(new FollowUpAcknowledged(followUp.Id, followUp.Status, followUp.AcknowledgedAt.Value, followUp.AcknowledgementReason));
    }

    private static byte[] CursorKey(DataKey key) => key.Derive("partner-feed-cursor"u8);

    /// <summary>A place in a recipient's stream: after (transaction, kind, id).</summary>
    internal readonly record struct FeedPosition(ulong Transaction, int Kind, long Id)
    {
        public static readonly FeedPosition Start = new(0, 0, 0);

        /// <summary>Position and recipient, sealed with an HMAC: a cursor cannot be forged, nor used by another partner.</summary>
        public string Write(string recipient, byte[] key)
        {
            var position = string.Create(CultureInfo.InvariantCulture, $"{Transaction}.{Kind}.{Id}");
            var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{recipient}|{position}"));
            return $"{position}.{System.Buffers.Text.Base64Url.EncodeToString(mac.AsSpan(0, 16))}";
        }

        public static bool TryRead(string cursor, string recipient, byte[] key, out FeedPosition position)
        {
            position = Start;
            var parts = cursor.Split('.');
            if (parts.Length != 4
                || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var transaction)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kind) || kind > 1
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return false;
            }

            var candidate = new FeedPosition(transaction, kind, id);
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate.Write(recipient, key)), Encoding.ASCII.GetBytes(cursor)))
            {
                return false;
            }

            position = candidate;
            return true;
        }
    }
}
