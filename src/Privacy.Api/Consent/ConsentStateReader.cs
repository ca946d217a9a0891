using Microsoft.Extensions.Options;
using Npgsql;

namespace Privacy.Api.Consent;

/// <summary>
/// The hot path: a subject's consent per purpose in one SQL statement (one round trip, one index scan of
/// the subject's choices), read from the database on every call so every replica answers the same.
/// </summary>
public sealed class ConsentStateReader(NpgsqlDataSource dataSource, TimeProvider time, IOptions<ConsentOptions> options)
{
    // For a customer, the visitors linked to them count as the same person.
    /// <summary>The statement, also run by the benchmark harness through pgbench as the database's own limit.</summary>
    public const string Sql = """
        WITH subjects(subject_type, subject_id) AS (
            SELECT $1::text, $2::text
            UNION ALL
            SELECT 'Visitor', l.visitor_id FROM privacy.consent_subject_links l WHERE $1 = 'Customer' AND l.customer_number = $2
        ),
        latest AS (
            SELECT DISTINCT ON (c.purpose_key) c.purpose_key, c.granted, c.occurred_at, c.event_id
            FROM privacy.consent_choices c
            JOIN subjects s ON s.subject_type = c.subject_type AND s.subject_id = c.subject_id
            ORDER BY c.purpose_key, c.occurred_at DESC, c.sequence DESC
        )
        SELECT p.key, p.always_on, l.granted, l.occurred_at, e.id, e.policy_version, e.kind, e.gpc, v.effective_from,
               (SELECT max(m.effective_from) FROM privacy.policy_versions m WHERE m.material AND m.effective_from <= $3),
               (SELECT cv.version FROM privacy.policy_versions cv WHERE cv.effective_from <= $3 ORDER BY cv.effective_from DESC LIMIT 1)
        FROM privacy.purposes p
        LEFT JOIN latest l ON l.purpose_key = p.key
        LEFT JOIN privacy.consent_events e ON e.id = l.event_id
        LEFT JOIN privacy.policy_versions v ON v.version = e.policy_version
        WHERE p.retired_at IS NULL AND (p.legal_basis = 'Consent' OR p.always_on)
        ORDER BY p.key
        """;

    /// <summary>Reads the state on a connection of its own.</summary>
    public async Task<ConsentStateResponse> ReadAsync(SubjectType type, string id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, type, id, cancellationToken);
    }

    /// <summary>Reads the state inside the caller's transaction (e.g. before recording a change).</summary>
    public async Task<ConsentStateResponse> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, SubjectType type,
        string id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        command.Parameters.AddWithValue(type.ToString());
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var purposes = new List<PurposeConsentState>();
        string? currentVersion = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            currentVersion = reader.IsDBNull(10) ? null : reader.GetString(10);
            var materialSince = reader.IsDBNull(9) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(9);
            purposes.Add(ToState(
                reader.GetString(0),
                reader.GetBoolean(1),
                reader.IsDBNull(2) ? null : reader.GetBoolean(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                !reader.IsDBNull(6) && reader.GetString(6) == nameof(ConsentEventKind.Withdrawal),
                !reader.IsDBNull(7) && reader.GetBoolean(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                materialSince,
                now));
        }

        var askAgain = purposes.Any(p => !p.AlwaysOn && (p.Status == ConsentStatus.NeverAsked || p.Expired || p.ReconsentRequired));
        return new ConsentStateResponse(new SubjectRef(type, id), currentVersion, askAgain, purposes);
    }

    private PurposeConsentState ToState(string purpose, bool alwaysOn, bool? granted, DateTimeOffset? since, Guid? receipt,
        string? version, bool withdrawn, bool gpc, DateTimeOffset? versionEffectiveFrom, DateTimeOffset? materialSince, DateTimeOffset now)
    {
        if (alwaysOn)
        {
            // Strictly necessary: listed for the banner, never asked, never denied.
            return new PurposeConsentState(purpose, ConsentStatus.Granted, true, true, null, null, false, false, null, false, false, null);
        }

        if (granted is null)
        {
            return new PurposeConsentState(purpose, ConsentStatus.NeverAsked, false, false, null, null, false, false, null, false, false, null);
        }

        var expiresAt = since!.Value.AddMonths(options.Value.ValidityMonths);
        var expired = expiresAt <= now;
        // A consent given under a version older than the latest material change must be asked again.
        var reconsent = granted.Value && materialSince is not null && versionEffectiveFrom < materialSince;
        return new PurposeConsentState(
            purpose,
            granted.Value ? ConsentStatus.Granted : ConsentStatus.Denied,
            granted.Value && !expired && !reconsent,
            false,
            since,
            version,
            reconsent,
            expired,
            expiresAt,
            withdrawn,
            gpc,
            receipt);
    }
}
