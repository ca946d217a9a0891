using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Notifications;
using Privacy.Api.Operations;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;
using Privacy.Api.Registry;

namespace Privacy.Api.Consent;

/// <summary>
/// Records consent decisions and withdrawals as append-only events, with their proof, audit entry and
/// (for a withdrawn consent a recipient was given data under) follow-ups, all in one transaction.
/// Writes for one subject are serialised by a transaction-scoped advisory lock.
/// </summary>
public sealed class ConsentRecorder(
    PrivacyDbContext db,
    ConsentStateReader states,
    AuditTrail audit,
    FollowUps followUps,
    TimeProvider time,
    PrivacyMetrics metrics,
    Platform.Keys.DataKeyring keyring,
    IOptions<Banner.BannerOptions> banner)
{
    public const string GpcHeader = "Sec-GPC";

    /// <summary>A purpose that takes consent, with whom it may be asked (the registry's dataSubjects) and where it may be granted.</summary>
    private sealed record PurposeInfo(string Key, bool AlwaysOn, bool LimitedByGpc, string[] Subjects, string[] Channels)
    {
        public bool Concerns(SubjectType type) => Subjects.Contains(type.ToString());

        public bool MayBeGrantedOn(ConsentChannel channel) => Channels.Contains(channel.ToString());

        public string SubjectsText => string.Join(", ", Subjects.Select(Wire));

        public string ChannelsText => string.Join(", ", Channels.Select(Wire));
    }

    /// <summary>What a request is checked against: the consent purposes and the policy versions, read in one statement.</summary>
    private sealed record Catalog(Dictionary<string, PurposeInfo> Purposes, string? ShownVersion, string? CurrentVersion);

    /// <summary>A choice as requested and as it will be recorded.</summary>
    private sealed record Choice(string Purpose, bool Requested, bool Granted);

    private const string CatalogSql = """
        SELECT p.key, p.always_on, p.limited_by_gpc, p.data_subjects, p.consent_channels,
               (SELECT v.version FROM privacy.policy_versions v WHERE v.version = $1 AND v.effective_from <= $2),
               (SELECT c.version FROM privacy.policy_versions c WHERE c.effective_from <= $2 ORDER BY c.effective_from DESC LIMIT 1)
        FROM privacy.purposes p
        WHERE p.retired_at IS NULL AND (p.legal_basis = 'Consent' OR p.always_on)
        """;

    private readonly IReadOnlyCollection<string> _bannerPurposes = [.. banner.Value.EffectivePurposes];

    /// <summary>
    /// Records a decision. Each choice must be for a purpose that takes consent from this type of subject (the registry's
    /// <c>dataSubjects</c>), and a choice that grants must come from a channel the purpose lists (<c>consentChannels</c>):
    /// the newsletter is not the cookie banner's to grant, nor third-party marketing a visitor's. A denial is taken on any
    /// channel: refusing must never be harder than consenting (Art 7(3), Art 4(11)).
    /// </summary>
    public async Task<ConsentWrite> RecordDecisionAsync(ConsentDecisionRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        var subject = request.Subject!;
        var (type, channel) = (subject.Type!.Value, request.Channel!.Value);
        if (BannerKeyScope.RefuseWrite(http.User, _bannerPurposes, "subject.type", type, request.Proof, channel,
                request.Choices!.Select((c, i) => ($"choices[{i}].purpose", c.Purpose!))) is { } refused)
        {
            return new ConsentWrite(null, refused, []);
        }

        var errors = new Dictionary<string, string[]>();
        var catalog = await ReadCatalog(request.PolicyVersion, cancellationToken);
        var gpcHeader = http.Request.Headers[GpcHeader].ToString() == "1"; // only the exact value 1 is the signal
        var gpc = gpcHeader || request.Gpc == true;
        var choices = new List<Choice>();
        for (var i = 0; i < request.Choices!.Count; i++)
        {
            var (key, status) = (request.Choices[i].Purpose!, request.Choices[i].Status!.Value);
            var requested = status == ConsentStatus.Granted;
            if (!catalog.Purposes.TryGetValue(key, out var purpose))
            {
                errors[$"choices[{i}].purpose"] = ["Not a purpose that takes consent (see GET /consent/purposes)."];
            }
            else if (!purpose.Concerns(type))
            {
                errors[$"choices[{i}].purpose"] = [$"'{key}' does not take consent from a {Wire(type)}: the registry's dataSubjects for it are {purpose.SubjectsText}."];
            }
            else if (requested && !purpose.MayBeGrantedOn(channel))
            {
                errors[$"choices[{i}].purpose"] = [$"'{key}' cannot be granted on channel '{Wire(channel)}': the registry's consentChannels for it are {purpose.ChannelsText}."];
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

        if (catalog.ShownVersion is null)
        {
            errors["policyVersion"] = ["'policyVersion' is not a published policy version in effect."];
        }

        var notice = request.Notice!;
        var noticeHash = notice.Text is null ? notice.Hash! : Sha256Hex(notice.Text);
        if (notice.Text is not null && notice.Hash is not null && notice.Hash != noticeHash)
        {
            errors["notice.hash"] = ["'hash' does not match the SHA-256 of the notice text sent."];
        }

        if (errors.Count > 0)
        {
            return new ConsentWrite(null, null, errors);
        }

        var recorded = await RecordAsync(type, subject.Id!, ConsentEventKind.Decision, choices, catalog.ShownVersion!,
            channel, notice.Id, noticeHash, notice.Text, request.Language!,
            gpc ? (gpcHeader && request.Gpc == true ? "both" : gpcHeader ? "header" : "flag") : null,
            request.Proof, http, cancellationToken);
        return new ConsentWrite(recorded, null, errors);
    }

    /// <summary>
    /// Records a withdrawal (Art 7(3): as easy as giving). Not limited by channel: a person withdraws wherever they can act
    /// (the settings page, an e-mail link, through staff), and the channel is kept as proof of where. Limited by subject type
    /// like a decision, except that whatever the subject has granted can always be withdrawn (a consent recorded before the
    /// registry narrowed the purpose's dataSubjects). <c>all</c> withdraws every consent purpose that concerns the subject or
    /// that it has granted; for a banner key, only the banner's purposes.
    /// </summary>
    public async Task<ConsentWrite> RecordWithdrawalAsync(SubjectType type, string id, ConsentWithdrawalRequest request, HttpContext http,
        CancellationToken cancellationToken)
    {
        var named = request.All == true ? [] : request.Purposes!;
        if (BannerKeyScope.RefuseWrite(http.User, _bannerPurposes, "subjectType", type, request.Proof, request.Channel!.Value,
                named.Select((p, i) => ($"purposes[{i}]", p))) is { } refused)
        {
            return new ConsentWrite(null, refused, []);
        }

        var errors = new Dictionary<string, string[]>();
        var catalog = await ReadCatalog(null, cancellationToken);
        var withdrawable = catalog.Purposes.Values.Where(p => !p.AlwaysOn)
            .Where(p => !BannerKeyScope.Applies(http.User) || _bannerPurposes.Contains(p.Key))
            .ToDictionary(p => p.Key);
        // Only a purpose that does not concern the subject needs the current state: was it granted all the same?
        var granted = withdrawable.Values.Any(p => !p.Concerns(type) && (request.All == true || named.Contains(p.Key)))
            ? (await states.ReadAsync(type, id, cancellationToken)).Purposes.Where(p => p.Status == ConsentStatus.Granted).Select(p => p.Purpose).ToHashSet()
            : [];
        var keys = request.All == true
            ? [.. withdrawable.Values.Where(p => p.Concerns(type) || granted.Contains(p.Key)).Select(p => p.Key).Order(StringComparer.Ordinal)]
            : named.ToList();
        for (var i = 0; i < named.Count; i++)
        {
            if (!withdrawable.TryGetValue(named[i], out var purpose))
            {
                errors[$"purposes[{i}]"] = ["Not a purpose whose consent can be withdrawn."];
            }
            else if (!purpose.Concerns(type) && !granted.Contains(purpose.Key))
            {
                errors[$"purposes[{i}]"] = [$"'{purpose.Key}' does not take consent from a {Wire(type)}: the registry's dataSubjects for it are {purpose.SubjectsText}."];
            }
        }

        if (catalog.CurrentVersion is null)
        {
            errors["policyVersion"] = ["No policy version is in effect."];
        }

        if (errors.Count > 0)
        {
            return new ConsentWrite(null, null, errors);
        }

        var recorded = await RecordAsync(type, id, ConsentEventKind.Withdrawal, [.. keys.Distinct().Select(k => new Choice(k, false, false))],
            catalog.CurrentVersion!, request.Channel!.Value, null, null, null, request.Language ?? "sv", null, request.Proof, http, cancellationToken);
        return new ConsentWrite(recorded, null, errors);
    }

    /// <summary>An enum value as it travels in JSON (snake_case), for messages.</summary>
    private static string Wire<T>(T value) where T : struct, Enum => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static string Wire(string value) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value);

    private async Task<ConsentRecordedResponse> RecordAsync(SubjectType type, string id, ConsentEventKind kind, List<Choice> choices,
        string policyVersion, ConsentChannel channel, string? noticeId, string? noticeHash, string? noticeText, string language,
        string? gpcSource, ProofRequest? proof, HttpContext http, CancellationToken cancellationToken)
    {
        await using var owned = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        var now = AuditTrail.TruncateToMicroseconds(time.GetUtcNow());

        // One round trip: serialise writes for this subject, find the customer a visitor was linked to
        // (the person as recipients know them) and serialise with that customer's writes and consent checks
        // too (ConsentCheck), and keep the notice text shown.
        string? customer = type == SubjectType.Customer ? id : null;
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            batch.BatchCommands.Add(BatchCommands.Create("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", SubjectLock(type, id)));
            batch.BatchCommands.Add(BatchCommands.Create("""
                SELECT l.customer_number FROM privacy.consent_subject_links l
                CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended($2 || l.customer_number, 0))) AS locked
                WHERE l.visitor_id = $1
                """, type == SubjectType.Visitor ? id : "", SubjectLock(SubjectType.Customer, "")));
            if (noticeHash is not null)
            {
                // DO NOTHING takes no row lock: every banner decision shares one notice row, and a lock held to
                // commit would queue them all behind each other. The text is filled in only where it is missing.
                batch.BatchCommands.Add(BatchCommands.Create("""
                    INSERT INTO privacy.consent_notices (hash, notice_id, text, first_seen_at) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (hash) DO NOTHING
                    """, noticeHash, noticeId, noticeText, now));
                if (noticeText is not null)
                {
                    batch.BatchCommands.Add(BatchCommands.Create("UPDATE privacy.consent_notices SET text = $2 WHERE hash = $1 AND text IS NULL",
                        noticeHash, noticeText));
                }
            }

            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                customer = reader.GetString(0);
            }
        }

        var before = customer is null ? null : await states.ReadAsync(connection, transaction, SubjectType.Customer, customer, cancellationToken);
        var eventId = Guid.CreateVersion7(now);
        var gpc = gpcSource is not null;
        var withdrawn = choices
            .Where(c => !c.Granted && before?.Purposes.Any(p => p.Purpose == c.Purpose && p.Status == ConsentStatus.Granted) == true)
            .Select(c => c.Purpose).ToList();
        await NotifyRecipients(customer, withdrawn, eventId, http.User.GetActor().KeyId, cancellationToken); // rare: only for a withdrawal

        // The event, its choices and proof, and the audit entry: one round trip, no change tracking (the hot path).
        ConsentStateResponse after;
        await using (var write = new NpgsqlBatch(connection, transaction))
        {
            write.BatchCommands.Add(BatchCommands.Create("""
                INSERT INTO privacy.consent_events (id, subject_type, subject_id, kind, policy_version, channel, notice_id, notice_hash, language,
                                                    gpc, gpc_source, occurred_at, recorded_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                """, eventId, type.ToString(), id, kind.ToString(), policyVersion, channel.ToString(), noticeId, noticeHash,
                language, gpc, gpcSource, now, http.User.GetActor().KeyId));
            write.BatchCommands.Add(BatchCommands.Create("""
                INSERT INTO privacy.consent_choices (event_id, purpose_key, granted, requested, subject_type, subject_id, occurred_at)
                SELECT $1, c.purpose, c.granted, c.requested, $2, $3, $4 FROM unnest($5::text[], $6::boolean[], $7::boolean[]) AS c(purpose, granted, requested)
                """, eventId, type.ToString(), id, now, choices.Select(c => c.Purpose).ToArray(), choices.Select(c => c.Granted).ToArray(),
                choices.Select(c => c.Requested).ToArray()));
            var evidence = Proof(proof, http);
            write.BatchCommands.Add(BatchCommands.Create("""
                INSERT INTO privacy.consent_proofs (event_id, ip_address, user_agent, ip_address_hash, user_agent_hash, key_id) VALUES ($1, $2, $3, $4, $5, $6)
                """, eventId, evidence.IpAddress, evidence.UserAgent, evidence.IpAddressHash, evidence.UserAgentHash, evidence.KeyId));
            write.BatchCommands.Add(audit.RecordCommand($"consent.{kind.ToString().ToLowerInvariant()}.recorded", "consent_event", eventId.ToString(), new
            {
                subjectType = type,
                channel,
                policyVersion,
                gpc,
                choices = choices.Select(c => new { c.Purpose, c.Granted }),
            }));
            // …and the resulting state, read after the inserts in the same round trip.
            write.BatchCommands.Add(ConsentStateReader.BatchCommand(type, id));
            await using var reader = await write.ExecuteReaderAsync(cancellationToken);
            after = await states.ReadAsync(reader, type, id, cancellationToken);
        }

        // Counted once committed: an outer transaction (the idempotency filter's) may still roll back, and a replay never gets here.
        AfterCommit.Run(db.Database, () => metrics.ConsentRecorded(kind, channel, gpc));
        if (owned is not null)
        {
            await owned.CommitAsync(cancellationToken);
        }

        return new ConsentRecordedResponse(eventId, kind, now, gpc,
            [.. choices.Select(c => new RecordedChoice(c.Purpose, ConsentStatuses.Of(c.Requested), ConsentStatuses.Of(c.Granted), c.Requested && !c.Granted && kind == ConsentEventKind.Decision))],
            after);
    }

    private async Task<Catalog> ReadCatalog(string? shownVersion, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var command = new NpgsqlCommand(CatalogSql, connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
            command.Parameters.AddWithValue((object?)shownVersion ?? DBNull.Value);
            command.Parameters.AddWithValue(time.GetUtcNow());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var purposes = new Dictionary<string, PurposeInfo>();
            string? shown = null, current = null;
            while (await reader.ReadAsync(cancellationToken))
            {
                purposes[reader.GetString(0)] = new PurposeInfo(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2),
                    reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4));
                shown = reader.IsDBNull(5) ? null : reader.GetString(5);
                current = reader.IsDBNull(6) ? null : reader.GetString(6);
            }

            return new Catalog(purposes, shown, current);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Art 7(3) with Art 19 in mind: each recipient that was given the customer's data for a withdrawn purpose gets a
    /// consent_withdrawn follow-up (feed and webhook). Recipients never given the data are not told: that would disclose it.
    /// </summary>
    private async Task NotifyRecipients(string? customer, List<string> withdrawn, Guid eventId, string actor, CancellationToken cancellationToken)
    {
        if (customer is null || withdrawn.Count == 0)
        {
            return; // an anonymous visitor is not known to any recipient
        }

        await followUps.RaiseAsync(new FollowUpSpec(customer, FollowUpAction.ConsentWithdrawn, Purposes: withdrawn, Reference: $"consent-receipt:{eventId}"),
            actor, cancellationToken);
    }

    private ConsentProof Proof(ProofRequest? proof, HttpContext http)
    {
        var ip = proof?.IpAddress is { } given ? IPAddress.Parse(given) : http.Connection.RemoteIpAddress;
        var userAgent = proof?.UserAgent ?? (http.Request.Headers.UserAgent.ToString() is { Length: > 0 } header ? header : null);
        if (userAgent is { Length: > 1000 })
        {
            userAgent = userAgent[..1000];
        }

        var key = keyring.Current(Platform.Keys.DataKeyUse.ProofHashing);
        return new ConsentProof
        {
            IpAddress = ip,
            UserAgent = userAgent,
            IpAddressHash = ip is null ? null : ConsentProof.Hash(key, ip),
            UserAgentHash = userAgent is null ? null : ConsentProof.Hash(key, userAgent),
            KeyId = ip is null && userAgent is null ? null : key.Id,
        };
    }

    /// <summary>
    /// The transaction-scoped advisory lock that serialises one subject's consent writes, and a customer's writes with the checks
    /// that rely on their consent (<see cref="ConsentCheck"/>): <c>pg_advisory_xact_lock(hashtextextended(key, 0))</c>.
    /// </summary>
    internal static string SubjectLock(SubjectType type, string id) => $"consent:{type}:{id}";

    internal static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

}

/// <summary>
/// What a consent write came to: recorded; refused as outside the caller's scope (403, <see cref="BannerKeyScope"/>); or invalid
/// (400, per field).
/// </summary>
public sealed record ConsentWrite(ConsentRecordedResponse? Recorded, ProblemHttpResult? Refused, Dictionary<string, string[]> Errors);
