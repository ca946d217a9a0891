using Microsoft.Extensions.Options;
using Npgsql;

namespace Privacy.Api.Platform.Keys;

/// <summary>One key id of a use and how many stored values it protects.</summary>
public sealed record DataKeyReference(string KeyId, long Values);

/// <summary>
/// Which stored values each key id protects: the ids are kept beside the values (a proof's hashes, a national identity number's hash,
/// a webhook secret). A key nothing refers to may be retired.
/// </summary>
public sealed class DataKeyUsage(NpgsqlDataSource dataSource)
{
    /// <summary>Per use: the tables and columns whose key id column names the key a value is protected by.</summary>
    private static readonly Dictionary<DataKeyUse, string[]> Queries = new()
    {
        [DataKeyUse.ProofHashing] =
        [
            "SELECT key_id, count(*) FROM privacy.consent_proofs WHERE ip_address_hash IS NOT NULL OR user_agent_hash IS NOT NULL GROUP BY key_id",
        ],
        [DataKeyUse.IdentityNumberHashing] =
        [
            "SELECT national_id_key_id, count(*) FROM privacy.disclosures WHERE national_id_hash IS NOT NULL GROUP BY national_id_key_id",
            "SELECT national_id_key_id, count(*) FROM privacy.rights_requests WHERE national_id_hash IS NOT NULL GROUP BY national_id_key_id",
            "SELECT key_id, count(*) FROM privacy.rights_request_identifiers WHERE kind = 'NationalIdentityNumber' GROUP BY key_id",
        ],
        [DataKeyUse.SecretEncryption] = ["SELECT key_id, count(*) FROM privacy.webhook_secrets GROUP BY key_id"],
    };

    /// <summary>The key ids the stored values of <paramref name="use"/> refer to, with their counts.</summary>
    public async Task<IReadOnlyList<DataKeyReference>> ReferencesAsync(DataKeyUse use, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var batch = dataSource.CreateBatch();
        foreach (var sql in Queries[use])
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                // A value from before the keyring has no id: the legacy key protected it.
                var id = reader.IsDBNull(0) ? DataKeyring.LegacyKeyId : reader.GetString(0);
                counts[id] = counts.GetValueOrDefault(id) + reader.GetInt64(1);
            }
        }
        while (await reader.NextResultAsync(cancellationToken));

        return [.. counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new DataKeyReference(c.Key, c.Value))];
    }
}

/// <summary>
/// At start-up, after the migrations: refuses to start when a stored value refers to a key that is no longer configured (it was
/// retired too early), one line per key, so nothing becomes unverifiable, unmatchable or undecryptable unnoticed.
/// </summary>
internal sealed partial class DataKeyUsageCheck(DataKeyUsage usage, DataKeyring keyring, ILogger<DataKeyUsageCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var use in Enum.GetValues<DataKeyUse>())
        {
            IReadOnlyList<DataKeyReference> references;
            try
            {
                references = await usage.ReferencesAsync(use, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.UndefinedTable)
            {
                LogNotMigrated(logger, use);
                continue; // migrations are applied apart from the service (Database:MigrateOnStartup false) and not yet
            }

            failures.AddRange(references.Where(r => keyring.Find(use, r.KeyId) is null).Select(r =>
                $"{DataKeyOptions.Section}:{use}:Keys:{r.KeyId} is not configured, but {r.Values} stored values are protected by it: configure it " +
                "again (retire a key only once GET /operations/data-keys shows nothing refers to it)."));
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(DataKeyOptions.Section, typeof(DataKeyOptions), failures);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "The schema has no data key ids yet; the {Use} key check is skipped until the migrations are applied")]
    private static partial void LogNotMigrated(ILogger logger, DataKeyUse use);
}
