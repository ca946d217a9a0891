using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Platform.Security.ApiKeys;

/// <summary>One key the service accepts (until <see cref="ExpiresAt"/>), as the authentication handler reads it.</summary>
public sealed class ApiKeyGrant(string id, string role, string? recipient, string? system, DateTimeOffset? expiresAt, ApiKeySource source, KeyUse use)
{
    public string Id { get; } = id;

    public string Role { get; } = role;

    public string? Recipient { get; } = recipient;

    public string? System { get; } = system;

    public DateTimeOffset? ExpiresAt { get; } = expiresAt;

    public ApiKeySource Source { get; } = source;

    /// <summary>This replica's record of the key's last use.</summary>
    public KeyUse Use { get; } = use;

    public bool HasExpiredAt(DateTimeOffset now) => ExpiresAt is { } end && now >= end;
}

/// <summary>
/// The keys in effect on this replica: the configured ones and those stored in the database, less every revoked one. Each
/// request is one dictionary lookup by the key's hash against a snapshot that is replaced whole, never changed: the snapshot
/// is read again from the database every <see cref="ApiKeyOptions.RefreshInterval"/> (<see cref="ApiKeyRefresher"/>) and right
/// after a change made through this replica, so a revocation on any replica is refused here within that interval.
/// Expiry is compared with the clock at every request, not at refresh.
/// </summary>
public sealed class ApiKeyStore(
    IServiceScopeFactory scopes, IOptionsMonitor<ApiKeyOptions> options, ApiKeyUsage usage, ILogger<ApiKeyStore> logger)
{
    private sealed record Snapshot(FrozenDictionary<string, ApiKeyGrant> ByHash, IReadOnlyList<ApiKeyGrant> Grants, string[] WebsiteKeyIds);

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly HashSet<string> _reportedClashes = new(StringComparer.Ordinal);
    private volatile Snapshot? _current;

    /// <summary>
    /// False until the keys have been read from the database once: until then no key is accepted (503), since a configured key
    /// revoked in the database must not be let in by a replica that has not read its revocation.
    /// </summary>
    public bool IsLoaded => _current is not null;

    /// <summary>The key whose hash is <paramref name="hash"/>, unless it is unknown or revoked (expiry is the caller's check).</summary>
    public bool TryFind(string hash, [NotNullWhen(true)] out ApiKeyGrant? grant)
    {
        grant = null;
        return _current?.ByHash.TryGetValue(hash, out grant) == true;
    }

    /// <summary>Every key not revoked, configured and stored (expired ones too).</summary>
    public IReadOnlyList<ApiKeyGrant> Grants => _current?.Grants ?? [];

    /// <summary>
    /// Ids of the website's keys, configured and stored (revoked stored ones too: their ids are never reused, and what the
    /// website submitted under a key it has since rotated is still its customers').
    /// </summary>
    public string[] WebsiteKeyIds =>
        _current?.WebsiteKeyIds ?? [.. options.CurrentValue.Keys.Where(k => k.Role == Roles.Frontend).Select(k => k.Id)];

    /// <summary>This replica's configured keys (the bootstrap).</summary>
    public IReadOnlyList<ApiKeyEntry> Configured => options.CurrentValue.Keys;

    public ApiKeyEntry? ConfiguredKey(string id) => options.CurrentValue.Keys.FirstOrDefault(k => k.Id == id);

    /// <summary>Reads the keys from the database and replaces the snapshot. Refreshes run one at a time, so a later one always wins.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
            var stored = await db.Set<StoredApiKey>().AsNoTracking().ToListAsync(cancellationToken);
            var restrictions = await db.Set<ConfiguredKeyRestriction>().AsNoTracking().ToDictionaryAsync(r => r.Hash, cancellationToken);
            _current = Build(options.CurrentValue.Keys, stored, restrictions);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private Snapshot Build(List<ApiKeyEntry> configured, List<StoredApiKey> stored, Dictionary<string, ConfiguredKeyRestriction> restrictions)
    {
        var byHash = new Dictionary<string, ApiKeyGrant>(StringComparer.Ordinal);
        foreach (var key in configured)
        {
            var hash = key.Hash.ToLowerInvariant();
            restrictions.TryGetValue(hash, out var restriction);
            if (restriction?.RevokedAt is null)
            {
                byHash[hash] = new ApiKeyGrant(key.Id, key.Role, key.Recipient, key.System, restriction?.ExpiresAt, ApiKeySource.Configuration,
                    usage.For(key.Id));
            }
        }

        var configuredIds = configured.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var key in stored.Where(k => k.RevokedAt is null))
        {
            if (configuredIds.Contains(key.Id) || byHash.ContainsKey(key.Hash))
            {
                // Configured later under an id (or hash) a stored key already had: the configured key wins; one id, one actor.
                ReportClash(key.Id);
                continue;
            }

            byHash[key.Hash] = new ApiKeyGrant(key.Id, key.Role, key.Recipient, key.System, key.ExpiresAt, ApiKeySource.Database, usage.For(key.Id));
        }

        string[] websiteKeys =
        [
            .. configured.Where(k => k.Role == Roles.Frontend).Select(k => k.Id)
                .Union(stored.Where(k => k.Role == Roles.Frontend).Select(k => k.Id), StringComparer.Ordinal),
        ];
        return new Snapshot(byHash.ToFrozenDictionary(StringComparer.Ordinal), [.. byHash.Values.OrderBy(g => g.Id, StringComparer.Ordinal)],
            websiteKeys);
    }

    private void ReportClash(string id)
    {
        if (_reportedClashes.Add(id))
        {
            logger.LogWarning("The stored API key {KeyId} is not accepted: a configured key has the same id or hash; revoke one of them", id);
        }
    }
}

/// <summary>
/// Keeps the snapshot of <see cref="ApiKeyStore"/> fresh and writes the last-used times. The first read is part of start-up
/// (hosted services start before the server listens), so a replica answers its first request with the database's keys.
/// </summary>
public sealed class ApiKeyRefresher(ApiKeyStore store, ApiKeyUsage usage, IOptions<ApiKeyOptions> options, ILogger<ApiKeyRefresher> logger)
    : BackgroundService
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _failing = new(StringComparer.Ordinal);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryAsync(store.RefreshAsync, "Reading the API keys from the database", cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await TryAsync(async token => await usage.FlushAsync(token), "Writing the API keys' last-used times", cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        Every(options.Value.RefreshInterval, store.RefreshAsync, "Reading the API keys from the database", stoppingToken),
        Every(options.Value.LastUsedFlushInterval, async token => await usage.FlushAsync(token), "Writing the API keys' last-used times", stoppingToken));

    // Real time, not the injected clock: refreshing is about reaching the database, not about the domain's time.
    private async Task Every(TimeSpan interval, Func<CancellationToken, Task> work, string what, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await TryAsync(work, what, stoppingToken);
        }
    }

    /// <summary>
    /// A failure is logged once while it lasts and retried at the next interval. While the database cannot be read the snapshot
    /// read last stays in effect: a revocation cannot be committed without the database either.
    /// </summary>
    private async Task TryAsync(Func<CancellationToken, Task> work, string what, CancellationToken cancellationToken)
    {
        try
        {
            await work(cancellationToken);
            if (_failing.TryRemove(what, out _))
            {
                logger.LogInformation("{What} works again", what);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (_failing.TryAdd(what, true))
            {
                logger.LogWarning(exception, "{What} failed; it is retried at every interval until it works", what);
            }
        }
    }
}
