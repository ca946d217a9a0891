using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;
using Privacy.Api.Registry;

namespace Privacy.Api.Consent;

/// <summary>
/// Records consent decisions and withdrawals as append-only events, with their proof, audit entry and
/// (for a withdrawn consent a recipient relies on) an outbox message, all in one transaction.
/// Writes for one subject are serialised by a transaction-scoped advisory lock.
/// </summary>
public sealed class ConsentRecorder(
    PrivacyDbContext db,
    ConsentStateReader states,
    AuditTrail audit,
    Outbox outbox,
    TimeProvider time,
    IOptions<ConsentOptions> options)
{
    public const string GpcHeader = "Sec-GPC";

    private sealed record PurposeInfo(string Key, LegalBasis LegalBasis, bool AlwaysOn, bool LimitedByGpc);

    /// <summary>A choice as requested and as it will be recorded.</summary>
    private sealed record Choice(string Purpose, bool Requested, bool Granted);

    public async Task<(ConsentRecordedResponse? Recorded, Dictionary<string, string[]> Errors)> RecordDecisionAsync(
        ConsentDecisionRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var purposes = await ConsentPurposes(cancellationToken);
        var gpcHeader = http.Request.Headers[GpcHeader].ToString() == "1"; // only the exact value 1 is the signal
        var gpc = gpcHeader || request.Gpc == true;
        var choices = new List<Choice>();
        for (var i = 0; i < request.Choices!.Count; i++)
        {
            var (key, status) = (request.Choices[i].Purpose!, request.Choices[i].Status!.Value);
            var requested = status == ConsentStatus.Granted;
            if (!purposes.TryGetValue(key, out var purpose))
            {
                errors[$"choices[{i}].purpose"] = [$"'{key}' is not a purpose that takes consent (see GET /consent/purposes)."];
            }
            else if (purpose.AlwaysOn && !requested)
            {
                errors[$"choices[{i}].status"] = [$"'{key}' is strictly necessary and always on: it cannot be denied."];
            }
            else
            {
                // Global Privacy Control: sale/sharing-like purposes are denied whatever was chosen.
                choices.Add(new Choice(key, requested, requested && !(gpc && purpose.LimitedByGpc)));
            }
        }

        var version = await db.Set<PolicyVersion>().AsNoTracking()
            .Where(v => v.Version == request.PolicyVersion && v.EffectiveFrom <= time.GetUtcNow())
            .Select(v => v.Version).FirstOrDefaultAsync(cancellationToken);
        if (version is null)
        {
            errors["policyVersion"] = [$"'{request.PolicyVersion}' is not a published policy version in effect."];
        }

        var notice = request.Notice!;
        var noticeHash = notice.Text is null ? notice.Hash! : Sha256Hex(notice.Text);
        if (notice.Text is not null && notice.Hash is not null && notice.Hash != noticeHash)
        {
            errors["notice.hash"] = ["'hash' does not match the SHA-256 of the notice text sent."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var subject = request.Subject!;
        var recorded = await RecordAsync(subject.Type!.Value, subject.Id!, ConsentEventKind.Decision, choices, version!,
            request.Channel!.Value, notice.Id, noticeHash, notice.Text, request.Language!,
            gpc ? (gpcHeader && request.Gpc == true ? "both" : gpcHeader ? "header" : "flag") : null,
            request.Proof, http, cancellationToken);
        return (recorded, errors);
    }

    public async Task<(ConsentRecordedResponse? Recorded, Dictionary<string, string[]> Errors)> RecordWithdrawalAsync(
        SubjectType type, string id, ConsentWithdrawalRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var purposes = await ConsentPurposes(cancellationToken);
        var withdrawable = purposes.Values.Where(p => !p.AlwaysOn).Select(p => p.Key).Order().ToList();
        var keys = request.All == true ? withdrawable : [.. request.Purposes!];
        for (var i = 0; i < keys.Count && request.All != true; i++)
        {
            if (!withdrawable.Contains(keys[i]))
            {
                errors[$"purposes[{i}]"] = [$"'{keys[i]}' is not a purpose whose consent can be withdrawn."];
            }
        }

        var version = await db.Set<PolicyVersion>().AsNoTracking()
            .Where(v => v.EffectiveFrom <= time.GetUtcNow()).OrderByDescending(v => v.EffectiveFrom)
            .Select(v => v.Version).FirstOrDefaultAsync(cancellationToken);
        if (version is null)
        {
            errors["policyVersion"] = ["No policy version is in effect."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var recorded = await RecordAsync(type, id, ConsentEventKind.Withdrawal, [.. keys.Distinct().Select(k => new Choice(k, false, false))],
            version!, request.Channel!.Value, null, null, null, request.Language ?? "sv", null, request.Proof, http, cancellationToken);
        return (recorded, errors);
    }

    private async Task<ConsentRecordedResponse> RecordAsync(SubjectType type, string id, ConsentEventKind kind, List<Choice> choices,
        string policyVersion, ConsentChannel channel, string? noticeId, string? noticeHash, string? noticeText, string language,
        string? gpcSource, ProofRequest? proof, HttpContext http, CancellationToken cancellationToken)
    {
        await using var owned = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        await using (var lockSubject = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
        {
            lockSubject.Parameters.AddWithValue($"consent:{type}:{id}");
            await lockSubject.ExecuteNonQueryAsync(cancellationToken);
        }

        // The person as recipients know them: the customer, or the customer a visitor was linked to.
        var customer = type == SubjectType.Customer
            ? id
            : await db.Set<SubjectLink>().Where(l => l.VisitorId == id).Select(l => l.CustomerNumber).FirstOrDefaultAsync(cancellationToken);
        var before = customer is null ? null : await states.ReadAsync(connection, transaction, SubjectType.Customer, customer, cancellationToken);

        var now = AuditTrail.TruncateToMicroseconds(time.GetUtcNow());
        var consentEvent = new ConsentEvent
        {
            ReceiptId = Guid.CreateVersion7(now),
            SubjectType = type,
            SubjectId = id,
            Kind = kind,
            PolicyVersion = policyVersion,
            Channel = channel,
            NoticeId = noticeId,
            NoticeHash = noticeHash,
            Language = language,
            Gpc = gpcSource is not null,
            GpcSource = gpcSource,
            OccurredAt = now,
            RecordedBy = http.User.GetActor().KeyId,
            Choices = [.. choices.Select(c => new ConsentChoice
            {
                PurposeKey = c.Purpose, Requested = c.Requested, Granted = c.Granted, SubjectType = type, SubjectId = id, OccurredAt = now,
            })],
            Proof = Proof(proof, http),
        };
        db.Add(consentEvent);
        if (noticeHash is not null)
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                 INSERT INTO privacy.consent_notices (hash, notice_id, text, first_seen_at) VALUES ({noticeHash}, {noticeId}, {noticeText}, {now})
                 ON CONFLICT (hash) DO UPDATE SET text = COALESCE(consent_notices.text, excluded.text)
                 """, cancellationToken);
        }

        var withdrawn = choices
            .Where(c => !c.Granted && before?.Purposes.Any(p => p.Purpose == c.Purpose && p.Status == ConsentStatus.Granted) == true)
            .Select(c => c.Purpose).ToList();
        await NotifyRecipients(customer, withdrawn, consentEvent, cancellationToken);
        audit.Record($"consent.{kind.ToString().ToLowerInvariant()}.recorded", "consent_event", consentEvent.ReceiptId.ToString(), new
        {
            subjectType = type,
            channel,
            policyVersion,
            gpc = consentEvent.Gpc,
            choices = choices.Select(c => new { c.Purpose, c.Granted }),
        });
        await db.SaveChangesAsync(cancellationToken);

        var after = await states.ReadAsync(connection, transaction, type, id, cancellationToken);
        if (owned is not null)
        {
            await owned.CommitAsync(cancellationToken);
        }

        return new ConsentRecordedResponse(consentEvent.ReceiptId, kind, now, consentEvent.Gpc,
            [.. choices.Select(c => new RecordedChoice(c.Purpose, Status(c.Requested), Status(c.Granted), c.Requested && !c.Granted && kind == ConsentEventKind.Decision))],
            after);
    }

    /// <summary>Art 7(3) with Art 19 in mind: recipients that rely on a withdrawn consent are told (through the outbox).</summary>
    private async Task NotifyRecipients(string? customer, List<string> withdrawn, ConsentEvent consentEvent, CancellationToken cancellationToken)
    {
        if (customer is null || withdrawn.Count == 0)
        {
            return; // an anonymous visitor is not known to any recipient
        }

        var relying = await db.Set<ProcessingLink>().AsNoTracking()
            .Where(l => l.RetiredAt == null && l.RecipientKey != null && withdrawn.Contains(l.PurposeKey))
            .Join(db.Set<Recipient>().Where(r => r.RetiredAt == null), l => l.RecipientKey, r => r.Key, (l, r) => new { r.Key, l.PurposeKey })
            .Distinct()
            .ToListAsync(cancellationToken);
        foreach (var recipient in relying.GroupBy(r => r.Key))
        {
            outbox.Enqueue(recipient.Key, "consent.withdrawn", new
            {
                customerNumber = customer,
                purposes = recipient.Select(r => r.PurposeKey).Order().ToList(),
                withdrawnAt = consentEvent.OccurredAt,
                receiptId = consentEvent.ReceiptId,
            });
        }
    }

    private ConsentProof Proof(ProofRequest? proof, HttpContext http)
    {
        var ip = proof?.IpAddress is { } given ? IPAddress.Parse(given) : http.Connection.RemoteIpAddress;
        var userAgent = proof?.UserAgent ?? (http.Request.Headers.UserAgent.ToString() is { Length: > 0 } header ? header : null);
        if (userAgent is { Length: > 1000 })
        {
            userAgent = userAgent[..1000];
        }

        var key = options.Value.ProofKeyBytes();
        return new ConsentProof
        {
            IpAddress = ip,
            UserAgent = userAgent,
            IpAddressHash = ip is null ? null : Convert.ToHexStringLower(HMACSHA256.HashData(key, ip.GetAddressBytes())),
            UserAgentHash = userAgent is null ? null : Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(userAgent))),
        };
    }

    private async Task<Dictionary<string, PurposeInfo>> ConsentPurposes(CancellationToken cancellationToken) =>
        await db.Set<Purpose>().AsNoTracking()
            .Where(p => p.RetiredAt == null && (p.LegalBasis == LegalBasis.Consent || p.AlwaysOn))
            .Select(p => new PurposeInfo(p.Key, p.LegalBasis, p.AlwaysOn, p.LimitedByGpc))
            .ToDictionaryAsync(p => p.Key, cancellationToken);

    internal static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static ConsentStatus Status(bool granted) => granted ? ConsentStatus.Granted : ConsentStatus.Denied;
}
