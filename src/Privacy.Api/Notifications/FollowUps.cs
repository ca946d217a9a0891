using System.Text.Json;
using Privacy.Api.Audit;
using Privacy.Api.Disclosures;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Notifications;

/// <summary>
/// Told of each acknowledgement in its transaction (e.g. rights requests complete the task a follow-up carries), so the
/// acknowledgement and its consequences commit together.
/// </summary>
public interface IFollowUpAcknowledgementHandler
{
    Task OnAcknowledgedAsync(FollowUp followUp, string actor, CancellationToken cancellationToken);
}

/// <summary>What to tell the recipients that hold a customer's data.</summary>
/// <param name="Categories">Only these categories (null: everything each recipient was given).</param>
/// <param name="Purposes">Only data disclosed for these purposes (null: any purpose).</param>
/// <param name="Recipient">Only this recipient (null: every recipient that holds the data).</param>
public sealed record FollowUpSpec(
    string CustomerNumber, FollowUpAction Action, IReadOnlyCollection<string>? Categories = null, IReadOnlyCollection<string>? Purposes = null,
    string? Recipient = null, IReadOnlyDictionary<string, string?>? Corrections = null, string? Reason = null, string? Reference = null);

/// <summary>
/// Raises follow-ups (Art 19): one per recipient the disclosure log says was given the data, each in the
/// recipient's feed and in the outbox for its webhook. Joins the caller's unit of work.
/// </summary>
public sealed class FollowUps(PrivacyDbContext db, DisclosureLog disclosures, Outbox outbox, AuditTrail audit, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Writes the follow-ups, their messages and audit entries in the caller's transaction (which it requires).</summary>
    public async Task<IReadOnlyList<FollowUp>> RaiseAsync(FollowUpSpec spec, string requestedBy, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Follow-ups are raised in the transaction of the change that causes them.");
        }

        var now = time.GetUtcNow();
        var raised = new List<FollowUp>();
        foreach (var holder in await disclosures.RecipientsOfAsync(spec.CustomerNumber, spec.Purposes, cancellationToken))
        {
            var categories = spec.Categories is null ? holder.Categories : [.. holder.Categories.Where(spec.Categories.Contains)];
            if ((spec.Recipient is not null && spec.Recipient != holder.Recipient) || categories.Count == 0)
            {
                continue; // this recipient was not given what the follow-up is about
            }

            var followUp = new FollowUp
            {
                MessageId = Guid.CreateVersion7(now),
                RecipientKey = holder.Recipient,
                Action = spec.Action,
                CustomerNumber = spec.CustomerNumber,
                Categories = [.. categories],
                Purposes = spec.Purposes is null ? [] : [.. holder.Purposes],
                Corrections = spec.Corrections is null ? null : JsonSerializer.Serialize(spec.Corrections, Json),
                Reason = spec.Reason,
                Reference = spec.Reference,
                RequestedBy = requestedBy,
                CreatedAt = now,
            };
            raised.Add(followUp);
        }

        if (raised.Count == 0)
        {
            return raised;
        }

        db.AddRange(raised);
        await db.SaveChangesAsync(cancellationToken); // the ids, for the messages
        foreach (var followUp in raised)
        {
            // Ordered per customer: a later rectification never overtakes an earlier one.
            outbox.Enqueue(followUp.RecipientKey, EventType(followUp.Action), Notice(followUp), followUp.CustomerNumber, followUp.MessageId);
            audit.Record("follow_up.raised", "follow_up", followUp.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                new { recipient = followUp.RecipientKey, action = followUp.Action.ToString(), followUp.Categories, followUp.Reference });
        }

        await db.SaveChangesAsync(cancellationToken);

        return raised;
    }

    public static string EventType(FollowUpAction action) => "follow_up." + JsonNamingPolicy.SnakeCaseLower.ConvertName(action.ToString());

    /// <summary>The follow-up as the recipient sees it, in its feed and its webhook.</summary>
    public static FollowUpNotice Notice(FollowUp f) => new(
        f.Id, f.MessageId, f.Action, f.CustomerNumber, f.Categories, f.Purposes,
        f.Corrections is null ? null : JsonSerializer.Deserialize<Dictionary<string, string?>>(f.Corrections, Json),
        f.Reason, f.Reference, f.CreatedAt, $"/partner/follow-ups/{f.Id}/acknowledgement");
}
