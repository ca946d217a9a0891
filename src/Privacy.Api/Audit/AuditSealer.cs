using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Audit;

/// <summary>Audit settings.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>How long the sealer waits when there is nothing to seal (default 1 s).</summary>
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Entries sealed per transaction (default 500).</summary>
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// Chains committed audit entries, in the order it finds them, into the SHA-256 seal chain. Writers
/// never wait for it; only one replica seals at a time (a transaction-scoped advisory lock).
/// </summary>
public sealed class AuditSealer(IServiceScopeFactory scopes, TimeProvider time, IOptions<AuditOptions> options)
{
    private const long SealLockKey = 0x6175646974736561; // "auditsea"

    /// <summary>Seals one batch of pending entries; returns how many were sealed (0 when another replica holds the lock).</summary>
    public async Task<int> SealBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var locked = await db.Database
            .SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({SealLockKey}) AS \"Value\"")
            .SingleAsync(cancellationToken);
        if (!locked)
        {
            return 0;
        }

        var pending = await db.Set<AuditEntry>().AsNoTracking()
            .Where(e => e.ChainPosition == null)
            .OrderBy(e => e.Id)
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }

        var head = await db.Set<AuditEntry>().AsNoTracking()
            .Where(e => e.ChainPosition != null)
            .OrderByDescending(e => e.ChainPosition)
            .Select(e => new { Position = e.ChainPosition!.Value, Seal = e.Seal! })
            .FirstOrDefaultAsync(cancellationToken);
        var position = head?.Position ?? 0;
        var previous = head?.Seal ?? AuditChain.GenesisSeal;
        var ids = new long[pending.Count];
        var positions = new long[pending.Count];
        var previousSeals = new string[pending.Count];
        var seals = new string[pending.Count];
        for (var i = 0; i < pending.Count; i++)
        {
            position++;
            ids[i] = pending[i].Id;
            positions[i] = position;
            previousSeals[i] = previous;
            seals[i] = previous = AuditChain.ComputeSeal(pending[i], position, previous);
        }

        // One statement for the whole batch: sealing must stay cheap next to the writes it follows.
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
             UPDATE privacy.audit_entries AS a
             SET chain_position = v.position, previous_seal = v.previous_seal, seal = v.seal, sealed_at = {time.GetUtcNow()}
             FROM unnest({ids}, {positions}, {previousSeals}, {seals}) AS v(id, position, previous_seal, seal)
             WHERE a.id = v.id
             """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return pending.Count;
    }

    /// <summary>Seals until nothing is pending.</summary>
    public async Task<int> SealPendingAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        int sealedCount;
        while ((sealedCount = await SealBatchAsync(cancellationToken)) > 0)
        {
            total += sealedCount;
        }

        return total;
    }
}

/// <summary>Runs the sealer shortly after entries are committed; never dies on an error.</summary>
internal sealed class AuditSealerService(AuditSealer sealer, TimeProvider time, IOptions<AuditOptions> options,
    ILogger<AuditSealerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await sealer.SealBatchAsync(stoppingToken) == options.Value.BatchSize)
                {
                    continue; // more waiting: go on at once
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Sealing audit entries failed ({Error}); retrying", e.GetType().Name);
            }

            try
            {
                await Task.Delay(options.Value.SealInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
