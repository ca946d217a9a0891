using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace Privacy.Api.Platform.Security.ApiKeys;

/// <summary>
/// When each key was last used, to the minute. A request only reads one number unless a minute has passed since the key's
/// recorded use; <see cref="FlushAsync"/> writes what changed in one statement (every <see cref="ApiKeyOptions.LastUsedFlushInterval"/>),
/// so the hot path never waits for the database.
/// </summary>
public sealed class ApiKeyUsage(NpgsqlDataSource dataSource)
{
    /// <summary>How precise a last-used time is: a key used all day is recorded at most once a minute.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, KeyUse> _uses = new(StringComparer.Ordinal);

    /// <summary>The record of <paramref name="keyId"/>'s use, kept across snapshots.</summary>
    public KeyUse For(string keyId) => _uses.GetOrAdd(keyId, static id => new KeyUse(id));

    /// <summary>The last use this replica has seen, written or not.</summary>
    public DateTimeOffset? LastUsedHere(string keyId) => _uses.TryGetValue(keyId, out var use) ? use.LastUsedAt : null;

    /// <summary>Writes every last use not yet written (a later time never goes back); returns how many keys were written.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        var due = new List<(KeyUse Use, DateTimeOffset At)>();
        foreach (var use in _uses.Values)
        {
            if (use.TakeUnwritten() is { } at)
            {
                due.Add((use, at));
            }
        }

        if (due.Count == 0)
        {
            return 0;
        }

        try
        {
            await using var command = dataSource.CreateCommand("""
                INSERT INTO privacy.api_key_last_use (key_id, last_used_at)
                SELECT * FROM unnest($1::varchar[], $2::timestamptz[])
                ON CONFLICT (key_id) DO UPDATE SET last_used_at = GREATEST(api_key_last_use.last_used_at, excluded.last_used_at)
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = due.Select(d => d.Use.KeyId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar });
            command.Parameters.Add(new NpgsqlParameter { Value = due.Select(d => d.At).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            await command.ExecuteNonQueryAsync(cancellationToken);
            return due.Count;
        }
        catch
        {
            foreach (var (use, _) in due)
            {
                use.KeepUnwritten(); // written at the next flush
            }

            throw;
        }
    }
}

/// <summary>One key's last use on this replica.</summary>
public sealed class KeyUse(string keyId)
{
    private long _lastUsedTicks;
    private int _unwritten;

    public string KeyId { get; } = keyId;

    public DateTimeOffset? LastUsedAt => Volatile.Read(ref _lastUsedTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Records a use at <paramref name="now"/> unless one within <see cref="ApiKeyUsage.Resolution"/> is recorded already.</summary>
    public void Touch(DateTimeOffset now)
    {
        var last = Volatile.Read(ref _lastUsedTicks);
        var ticks = now.UtcTicks - now.UtcTicks % 10; // microseconds, as PostgreSQL keeps them
        if (ticks - last < ApiKeyUsage.Resolution.Ticks)
        {
            return;
        }

        // Two requests racing here both record about the same minute: whichever wins is right to the minute.
        Interlocked.CompareExchange(ref _lastUsedTicks, ticks, last);
        Volatile.Write(ref _unwritten, 1);
    }

    internal DateTimeOffset? TakeUnwritten() => Interlocked.Exchange(ref _unwritten, 0) == 1 ? LastUsedAt : null;

    internal void KeepUnwritten() => Volatile.Write(ref _unwritten, 1);
}
