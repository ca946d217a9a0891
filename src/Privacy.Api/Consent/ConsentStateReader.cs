using Microsoft.Extensions.Options;
using Npgsql;

namespace Privacy.Api.Consent;

/// <summary>
/// The hot path: a subject's consent per purpose, from one SQL statement (one round trip, one index-only
/// scan of the subject's choices) or from the <see cref="ConsentStateCache"/>, which only answers once it
/// has applied every change committed before the read began. What depends on the clock (expiry, the
/// policy version in effect, re-consent after a material change) is computed at every read.
/// </summary>
public sealed class ConsentStateReader(NpgsqlDataSource dataSource, ConsentStateCache cache, TimeProvider time,
    IOptions<ConsentOptions> options, IOptions<Banner.BannerOptions> banner)
{
    /// <summary>What the banner asks about: only these decide <c>askAgain</c> (a newsletter never asked is not the banner's to ask).</summary>
    private readonly HashSet<string> _bannerPurposes = [.. banner.Value.EffectivePurposes];

    /// <summary>
    /// The statement, also run by the benchmark harness through pgbench as the database's own limit.
    /// For a customer, the visitors linked to them count as the same person. Every row repeats the policy
    /// versions (a handful) so the answer needs no second round trip.
    /// </summary>
    public const string Sql = SqlSubjectsAndChoices + SqlLatest;

    /// <summary>The same statement for the state as it stood at <c>$3</c>: only the choices made until then count.</summary>
    public const string SqlAt = SqlSubjectsAndChoices + "\n    WHERE c.occurred_at <= $3" + SqlLatest;

    private const string SqlSubjectsAndChoices = """
        WITH subjects(subject_type, subject_id) AS (
            SELECT $1::text, $2::text
            UNION ALL
            SELECT 'Visitor', l.visitor_id FROM privacy.consent_subject_links l WHERE $1 = 'Customer' AND l.customer_number = $2
        ),
        latest AS (
            SELECT DISTINCT ON (c.purpose_key) c.purpose_key, c.granted, c.occurred_at, c.event_id
            FROM privacy.consent_choices c
            JOIN subjects s ON s.subject_type = c.subject_type AND s.subject_id = c.subject_id
        """;

    private const string SqlLatest = """

            ORDER BY c.purpose_key, c.occurred_at DESC, c.sequence DESC
        ),
        versions AS (
            SELECT array_agg(version ORDER BY effective_from) AS labels, array_agg(effective_from ORDER BY effective_from) AS effective,
                   array_agg(material ORDER BY effective_from) AS material
            FROM privacy.policy_versions
        )
        SELECT p.key, p.always_on, l.granted, l.occurred_at, e.id, e.policy_version, e.kind, e.gpc, v.effective_from,
               versions.labels, versions.effective, versions.material
        FROM privacy.purposes p
        CROSS JOIN versions
        LEFT JOIN latest l ON l.purpose_key = p.key
        LEFT JOIN privacy.consent_events e ON e.id = l.event_id
        LEFT JOIN privacy.policy_versions v ON v.version = e.policy_version
        WHERE p.retired_at IS NULL AND (p.legal_basis = 'Consent' OR p.always_on)
        ORDER BY p.key
        """;

    /// <summary>Reads the state: from the cache when it is sure to be current, else from the database.</summary>
    public async Task<ConsentStateResponse> ReadAsync(SubjectType type, string id, CancellationToken cancellationToken)
    {
        var key = ConsentStateCache.Key(type, id);
        if (cache.MayHave(key) && await cache.TryServeAsync(key, cancellationToken) is { } cached)
        {
            return Compute(type, id, cached, time.GetUtcNow());
        }

        var generation = cache.GenerationForStore(); // taken before the query begins
        StoredState stored;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            stored = await ReadStoredAsync(connection, null, type, id, cancellationToken);
        }

        if (generation is not null)
        {
            cache.TryStore(key, stored, generation.Value);
        }

        return Compute(type, id, stored, time.GetUtcNow());
    }

    /// <summary>Reads the state inside the caller's transaction (e.g. before and after recording a change); never cached.</summary>
    public async Task<ConsentStateResponse> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, SubjectType type,
        string id, CancellationToken cancellationToken) =>
        Compute(type, id, await ReadStoredAsync(connection, transaction, type, id, cancellationToken), time.GetUtcNow());

    /// <summary>The state query as one statement of a caller's batch (e.g. last in a write, to answer with the new state).</summary>
    public static NpgsqlBatchCommand BatchCommand(SubjectType type, string id) =>
        new(Sql) { Parameters = { new NpgsqlParameter { Value = type.ToString() }, new NpgsqlParameter { Value = id } } };

    /// <summary>Computes the state from the result set the reader is on (that of <see cref="BatchCommand"/>).</summary>
    public async Task<ConsentStateResponse> ReadAsync(NpgsqlDataReader reader, SubjectType type, string id, CancellationToken cancellationToken) =>
        Compute(type, id, await ReadRowsAsync(reader, cancellationToken), time.GetUtcNow());

    /// <summary>The state as it stood at <paramref name="at"/>, as one statement of a caller's batch (see <see cref="ReadAtAsync"/>).</summary>
    public static NpgsqlBatchCommand BatchCommandAt(SubjectType type, string id, DateTimeOffset at) =>
        new(SqlAt)
        {
            Parameters = { new NpgsqlParameter { Value = type.ToString() }, new NpgsqlParameter { Value = id }, new NpgsqlParameter { Value = at } },
        };

    /// <summary>
    /// Computes the state as it stood at <paramref name="at"/> from the result set the reader is on (that of
    /// <see cref="BatchCommandAt"/>): the choices made until then, the policy versions in effect then, expiry reckoned then.
    /// <c>active</c> is then what a recipient could rely on at that time (e.g. a disclosure on the consent ground).
    /// </summary>
    public async Task<ConsentStateResponse> ReadAtAsync(NpgsqlDataReader reader, SubjectType type, string id, DateTimeOffset at,
        CancellationToken cancellationToken) =>
        Compute(type, id, await ReadRowsAsync(reader, cancellationToken), at);

    private static async Task<StoredState> ReadStoredAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, SubjectType type,
        string id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        command.Parameters.AddWithValue(type.ToString());
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadRowsAsync(reader, cancellationToken);
    }

    /// <summary>Purpose keys, version labels and the version list repeat in every cached subject: keep one copy of each.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Strings = new();
    private static volatile IReadOnlyList<StoredPolicyVersion> _lastVersions = [];

    private static string Intern(string value) => Strings.Count < 10_000 ? Strings.GetOrAdd(value, value) : value;

    private static async Task<StoredState> ReadRowsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var rows = new List<StoredPurpose>();
        IReadOnlyList<StoredPolicyVersion> versions = [];
        while (await reader.ReadAsync(cancellationToken))
        {
            if (rows.Count == 0 && !reader.IsDBNull(9))
            {
                var labels = reader.GetFieldValue<string[]>(9);
                var effective = reader.GetFieldValue<DateTimeOffset[]>(10);
                var material = reader.GetFieldValue<bool[]>(11);
                versions = [.. labels.Select((label, i) => new StoredPolicyVersion(Intern(label), effective[i], material[i]))];
                var last = _lastVersions;
                if (last.SequenceEqual(versions))
                {
                    versions = last;
                }
                else
                {
                    _lastVersions = versions;
                }
            }

            rows.Add(new StoredPurpose(
                Intern(reader.GetString(0)),
                reader.GetBoolean(1),
                reader.IsDBNull(2) ? null : reader.GetBoolean(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4),
                reader.IsDBNull(5) ? null : Intern(reader.GetString(5)),
                !reader.IsDBNull(6) && reader.GetString(6) == nameof(ConsentEventKind.Withdrawal),
                !reader.IsDBNull(7) && reader.GetBoolean(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return new StoredState(rows, versions);
    }

    /// <summary>
    /// The one definition of the state at a time (<paramref name="now"/>: the clock for a current read, or the time asked about):
    /// a purpose is active when granted, not expired, and not given under a policy version that a material version in effect
    /// at that time replaced. Its stored choices must be those made until then.
    /// </summary>
    private ConsentStateResponse Compute(SubjectType type, string id, StoredState stored, DateTimeOffset now)
    {
        string? currentVersion = null;
        DateTimeOffset? materialSince = null;
        foreach (var version in stored.Versions.Where(v => v.EffectiveFrom <= now))
        {
            currentVersion = version.Label;
            if (version.Material)
            {
                materialSince = version.EffectiveFrom;
            }
        }

        var purposes = stored.Purposes.Select(p => ToState(p, materialSince, now)).ToList();
        var askAgain = purposes.Any(p => !p.AlwaysOn && _bannerPurposes.Contains(p.Purpose)
                                         && (p.Status == ConsentStatus.NeverAsked || p.Expired || p.ReconsentRequired));
        return new ConsentStateResponse(new SubjectRef(type, id), currentVersion, askAgain, purposes);
    }

    private PurposeConsentState ToState(StoredPurpose p, DateTimeOffset? materialSince, DateTimeOffset now)
    {
        if (p.AlwaysOn)
        {
            // Strictly necessary: listed for the banner, never asked, never denied.
            return new PurposeConsentState(p.Purpose, ConsentStatus.Granted, true, true, null, null, false, false, null, false, false, null);
        }

        if (p.Granted is null)
        {
            return new PurposeConsentState(p.Purpose, ConsentStatus.NeverAsked, false, false, null, null, false, false, null, false, false, null);
        }

        var expiresAt = p.Since!.Value.AddMonths(options.Value.ValidityMonths);
        var expired = expiresAt <= now;
        // A consent given under a version older than the latest material change in effect must be asked again.
        var reconsent = p.Granted.Value && materialSince is not null && p.VersionEffectiveFrom < materialSince;
        return new PurposeConsentState(
            p.Purpose,
            p.Granted.Value ? ConsentStatus.Granted : ConsentStatus.Denied,
            p.Granted.Value && !expired && !reconsent,
            false,
            p.Since,
            p.PolicyVersion,
            reconsent,
            expired,
            expiresAt,
            p.Withdrawn,
            p.Gpc,
            p.ReceiptId);
    }
}

/// <summary>A subject's stored consent, independent of the clock: what the cache keeps.</summary>
public sealed record StoredState(IReadOnlyList<StoredPurpose> Purposes, IReadOnlyList<StoredPolicyVersion> Versions);

public sealed record StoredPurpose(
    string Purpose, bool AlwaysOn, bool? Granted, DateTimeOffset? Since, Guid? ReceiptId, string? PolicyVersion, bool Withdrawn, bool Gpc,
    DateTimeOffset? VersionEffectiveFrom);

public sealed record StoredPolicyVersion(string Label, DateTimeOffset EffectiveFrom, bool Material);
