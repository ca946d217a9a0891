using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Privacy.Api.Consent;

/// <summary>
/// A per-replica cache of stored consent state that never answers stale, however many replicas write.
/// <list type="bullet">
/// <item>Database triggers <c>NOTIFY privacy_consent</c> with the subject of every consent change (and <c>*</c> when
/// purposes or policy versions change); a dedicated connection LISTENs and drops what changed.</item>
/// <item>Read barrier: before it answers from the cache, a read waits for a <c>sync</c> notification this replica sent after the read
/// began. PostgreSQL delivers notifications in commit order, so by then every change committed before the read
/// began has been applied. Concurrent reads share one barrier, so the database sees a fraction of a tiny
/// statement per read instead of the state query.</item>
/// <item>A read stores what it fetched only if its subject was not invalidated while it was fetching.</item>
/// <item>Without a working listener (start-up, lost connection) the cache is bypassed and flushed on reconnect.</item>
/// </list>
/// </summary>
public sealed class ConsentStateCache(NpgsqlDataSource dataSource, IOptions<ConsentOptions> options, ILogger<ConsentStateCache> logger)
    : BackgroundService
{
    public const string Channel = "privacy_consent";
    private static readonly TimeSpan BarrierTimeout = TimeSpan.FromSeconds(2);

    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, StoredState> _entries = new();
    private readonly Dictionary<string, long> _invalidatedAt = [];
    private readonly Lock _gate = new();
    private long _generation;
    private long _flushedAt;
    private volatile bool _online;

    private long _barrierNumber;
    private Barrier? _pending;
    private Barrier? _inFlight;

    private sealed record Barrier(long Number, TaskCompletionSource Done);

    public static string Key(SubjectType type, string id) => $"{type}:{id}";

    /// <summary>Whether the listener is connected and the cache may be used.</summary>
    public bool Online => _online;

    public int Count => _size;

    private int _size; // changed under _gate only; ConcurrentDictionary.Count would take every bucket lock

    /// <summary>Reads answered from the cache (for tests and diagnostics).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    private long _hits;

    /// <summary>
    /// The generation a read that is about to query the database stores under, or null when the cache is not
    /// in use. No barrier is needed to store: what the database answers is current, and any change committed
    /// after the query began is invalidated when its notification arrives, before or after the store.
    /// </summary>
    public long? GenerationForStore()
    {
        if (!options.Value.StateCache)
        {
            return null;
        }

        lock (_gate)
        {
            return _online ? _generation : null;
        }
    }

    /// <summary>Whether the cache may hold the key (a cheap hint; only <see cref="TryServeAsync"/> answers).</summary>
    public bool MayHave(string key) => _online && _entries.ContainsKey(key);

    /// <summary>
    /// Answers from the cache only after every change committed before this call has been applied (the read
    /// barrier); false when the entry is gone or the cache cannot be trusted now.
    /// </summary>
    public async Task<StoredState?> TryServeAsync(string key, CancellationToken cancellationToken)
    {
        if (!options.Value.StateCache || !_online)
        {
            return null;
        }

        Task barrier;
        lock (_gate)
        {
            _pending ??= new Barrier(++_barrierNumber, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            barrier = _pending.Done.Task;
            if (_inFlight is null)
            {
                SendPendingLocked();
            }
        }

        try
        {
            await barrier.WaitAsync(BarrierTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or NpgsqlException or InvalidOperationException)
        {
            return null; // the database decides this read
        }

        return _online && TryGet(key, out var state) ? state : null;
    }

    private bool TryGet(string key, out StoredState state)
    {
        if (_entries.TryGetValue(key, out state!))
        {
            Interlocked.Increment(ref _hits);
            return true;
        }

        return false;
    }

    /// <summary>Keeps what a read fetched, unless the subject changed (or everything was flushed) since the read began.</summary>
    public void TryStore(string key, StoredState state, long readGeneration)
    {
        lock (_gate)
        {
            if (!_online || _flushedAt > readGeneration
                || (_invalidatedAt.TryGetValue(key, out var changedAt) && changedAt > readGeneration))
            {
                return;
            }

            if (_size >= options.Value.StateCacheSize)
            {
                FlushLocked(); // crude but safe bound: start over
            }

            if (_entries.TryAdd(key, state))
            {
                _size++;
            }
            else
            {
                _entries[key] = state;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.StateCache)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                lock (_gate)
                {
                    FlushLocked(); // whatever changed while nobody listened
                    _online = true;
                }

                logger.LogInformation("Consent state cache is listening for changes");
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning("Consent state cache lost its listener ({Error}); reads go to the database until it is back", e.GetType().Name);
            }
            finally
            {
                GoOffline();
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Tests reset this to hold the listener back, as a slow network would.</summary>
    internal ManualResetEventSlim NotificationsFlowing { get; } = new(initialState: true);

    internal void OnNotification(string payload)
    {
        NotificationsFlowing.Wait();
        if (payload.StartsWith("sync:", StringComparison.Ordinal))
        {
            var parts = payload.Split(':');
            if (parts.Length == 3 && parts[1] == _instance && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var number))
            {
                CompleteBarrier(number);
            }

            return;
        }

        lock (_gate)
        {
            if (payload == "*")
            {
                FlushLocked();
                return;
            }

            _invalidatedAt[payload] = ++_generation;
            if (_entries.TryRemove(payload, out _))
            {
                _size--;
            }
            if (_invalidatedAt.Count > 4 * options.Value.StateCacheSize)
            {
                FlushLocked();
            }
        }
    }

    private void CompleteBarrier(long number)
    {
        Barrier? done = null;
        lock (_gate)
        {
            if (_inFlight?.Number == number)
            {
                done = _inFlight;
                _inFlight = null;
                if (_pending is not null)
                {
                    SendPendingLocked();
                }
            }
        }

        done?.Done.TrySetResult();
    }

    /// <summary>Sends the pending barrier's sync notification; its arrival on the listener completes it.</summary>
    private void SendPendingLocked()
    {
        var barrier = _pending!;
        _pending = null;
        _inFlight = barrier;
        _ = SendAsync(barrier);
    }

    private async Task SendAsync(Barrier barrier)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT pg_notify($1, $2)");
            command.Parameters.AddWithValue(Channel);
            command.Parameters.AddWithValue($"sync:{_instance}:{barrier.Number}");
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception e)
        {
            Barrier? next = null;
            lock (_gate)
            {
                if (_inFlight == barrier)
                {
                    _inFlight = null;
                    next = _pending;
                    _pending = null;
                }
            }

            barrier.Done.TrySetException(e);
            next?.Done.TrySetException(e);
        }
    }

    private void GoOffline()
    {
        Barrier? inFlight, pending;
        lock (_gate)
        {
            _online = false;
            FlushLocked();
            (inFlight, pending) = (_inFlight, _pending);
            (_inFlight, _pending) = (null, null);
        }

        var offline = new InvalidOperationException("The consent state cache is offline.");
        inFlight?.Done.TrySetException(offline);
        pending?.Done.TrySetException(offline);
    }

    private void FlushLocked()
    {
        _flushedAt = ++_generation;
        _entries.Clear();
        _size = 0;
        _invalidatedAt.Clear();
    }
}
