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
/// <param name="Categories">Only these categories (null: everything each recipient was given). A rectification concerns the corrected categories.</param>
/// <param name="Purposes">Only data disclosed for these purposes (null: any purpose).</param>
/// <param name="Recipient">Only this recipient (null: every recipient that holds the data).</param>
/// <param name="Corrections">For a rectification: registry category → new value. Each recipient is told only the categories it was given.</param>
public sealed record FollowUpSpec(
    string CustomerNumber, FollowUpAction Action, IReadOnlyCollection<string>? Categories = null, IReadOnlyCollection<string>? Purposes = null,
    string? Recipient = null, IReadOnlyDictionary<string, string?>? Corrections = null, string? Reason = null, string? Reference = null);

/// <summary>
/// Raises follow-ups (Art 19): one per recipient the disclosure log says was given the data, each in the recipient's feed and in
/// the outbox for its webhook, built through the <see cref="EgressGate"/>: a recipient is told only about categories it was given,
/// and every corrected value it is sent is logged as a disclosure to it. Joins the caller's unit of work.
/// </summary>
public sealed class FollowUps(PrivacyDbContext db, EgressGate gate, AuditTrail audit, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Writes the follow-ups, their messages, disclosures and audit entries in the caller's transaction (which it requires).</summary>
    public async Task<IReadOnlyList<FollowUp>> RaiseAsync(FollowUpSpec spec, string requestedBy, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Follow-ups are raised in the transaction of the change that causes them.");
        }

        var now = time.GetUtcNow();
        var raised = new List<(FollowUp FollowUp, Release Release)>();
        var releases = spec.Recipient is null
            ? await gate.ForRecipientsOfAsync(spec.CustomerNumber, spec.Purposes, cancellationToken)
            : [await gate.ForRecipientAsync(spec.Recipient, spec.CustomerNumber, cancellationToken)];
        foreach (var release in releases)
        {
            var wanted = spec.Action == FollowUpAction.Rectify ? spec.Corrections?.Keys.ToList() : spec.Categories;
            var categories = release.Held.Where(c => wanted is null || wanted.Contains(c)).Order(StringComparer.Ordinal).ToList();
            if (categories.Count == 0)
            {
                continue; // this recipient was not given what the follow-up is about
            }

            var corrections = release.Values(spec.Corrections);
            if (spec.Action == FollowUpAction.Rectify)
            {
                if (corrections is null)
                {
                    gate.Settle(release, spec.Reference ?? "follow-up", requestedBy); // held, but no longer linked to it: withheld, audited
                    continue;
                }

                categories = [.. corrections.Keys.Order(StringComparer.Ordinal)];
            }

            raised.Add((new FollowUp
            {
                MessageId = Guid.CreateVersion7(now),
                RecipientKey = release.Party,
                Action = spec.Action,
                CustomerNumber = spec.CustomerNumber,
                Categories = categories,
                Purposes = spec.Purposes is null ? [] : [.. release.Given.Values.Select(g => g.Purpose).Distinct().Order(StringComparer.Ordinal)],
                Corrections = corrections is null ? null : JsonSerializer.Serialize(corrections, Json),
                Reason = spec.Reason,
                Reference = spec.Reference,
                RequestedBy = requestedBy,
                CreatedAt = now,
            }, release));
        }

        if (raised.Count == 0)
        {
            return [];
        }

        db.AddRange(raised.Select(r => r.FollowUp));
        await db.SaveChangesAsync(cancellationToken); // the ids, for the messages
        foreach (var (followUp, release) in raised)
        {
            var id = followUp.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // Ordered per customer: a later rectification never overtakes an earlier one.
            gate.Send(release, EventType(followUp.Action), Notice(followUp), followUp.CustomerNumber, $"follow-up:{id}", requestedBy, followUp.MessageId);
            audit.Record("follow_up.raised", "follow_up", id,
                new { recipient = followUp.RecipientKey, action = followUp.Action.ToString(), followUp.Categories, reference = AuditedReference(followUp.Reference) });
        }

        await db.SaveChangesAsync(cancellationToken);

        return [.. raised.Select(r => r.FollowUp)];
    }

    /// <summary>
    /// The reference as the audit entry (kept for good) may name it: one the service made (<c>rights-request:</c> or
    /// <c>consent-receipt:</c> and an id), else only that one was given; a caller's own (a case number) may identify the customer
    /// and stays on the follow-up, under its retention.
    /// </summary>
    private static string? AuditedReference(string? reference) =>
        reference is null || System.Text.RegularExpressions.Regex.IsMatch(reference, "^(rights-request|consent-receipt):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
            ? reference
            : "(given by the caller)";

    public static string EventType(FollowUpAction action) => "follow_up." + JsonNamingPolicy.SnakeCaseLower.ConvertName(action.ToString());

    /// <summary>The follow-up as the recipient sees it, in its feed and its webhook.</summary>
    public static FollowUpNotice Notice(FollowUp f) => new(
        f.Id, f.MessageId, f.Action, f.CustomerNumber, f.Categories, f.Purposes,
        f.Corrections is null ? null : JsonSerializer.Deserialize<Dictionary<string, string?>>(f.Corrections, Json),
        f.Reason, f.Reference, f.CreatedAt, $"/partner/follow-ups/{f.Id}/acknowledgement");
}
