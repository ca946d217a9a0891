using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Consent;
using Privacy.Api.Operations;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;
using Privacy.Api.Requests;

namespace Privacy.Api.Retention;

/// <summary>What one customer's sweep did.</summary>
public sealed record SweptSubject(string CustomerNumber, IReadOnlyList<SweptCategory> Categories);

public sealed record SweptCategory(string Category, RetentionAction Action, DateTimeOffset DueAt, Guid RequestId);

/// <summary>What a store's sweep did (or, in a dry run, would do).</summary>
/// <param name="Trigger">Null when the store has no rule (a gap).</param>
public sealed record StoreSweep(string Store, string Purpose, string Category, string Period, RetentionTrigger? Trigger, long Rows, string? Skipped);

/// <summary>
/// The retention sweep, one bounded batch at a time. Customers: those whose next end has come are locked
/// (<c>FOR UPDATE SKIP LOCKED</c>: a replica sweeps only customers no other replica holds), their schedules evaluated, and
/// every due category not under a legal hold becomes an erasure or anonymisation request on the retention channel (tasks to
/// the systems, follow-ups to the recipients), recorded as swept, all in one transaction: a crash leaves nothing half done.
/// The service's own stores: each batch is one statement under a per-store advisory lock.
/// </summary>
public sealed class RetentionSweep(
    PrivacyDbContext db, RetentionSchedules schedules, RequestWorkflow workflow, AuditTrail audit, TimeProvider time,
    PrivacyMetrics metrics, IOptions<RetentionOptions> options, IOptions<ConsentOptions> consentOptions)
{
    public const string Actor = "retention-sweep";

    /// <summary>Sweeps one batch of customers; returns them (fewer than the batch size: nothing more is due now).</summary>
    public async Task<IReadOnlyList<SweptSubject>> SweepSubjectsAsync(CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        // A hold that ended by its date (not released by ops) lets the erasures it kept go out, as a release does.
        var ended = await db.Set<LegalHold>().FromSql($"""
            SELECT * FROM privacy.legal_holds h
            WHERE h.released_at IS NULL AND h.ends_at <= {now}
              AND EXISTS (SELECT 1 FROM privacy.rights_request_tasks t WHERE t.hold_id = h.id AND t.kept_under IS NOT NULL)
            ORDER BY h.id LIMIT {options.Value.SubjectBatchSize} FOR UPDATE SKIP LOCKED
            """).ToListAsync(cancellationToken);
        foreach (var hold in ended)
        {
            await workflow.ResumeHeldAsync(hold, Actor, cancellationToken);
        }

        var customers = await db.Database.SqlQuery<string>($"""
            SELECT customer_number AS "Value" FROM privacy.retention_subjects WHERE next_due_at <= {now}
            ORDER BY next_due_at LIMIT {options.Value.SubjectBatchSize} FOR UPDATE SKIP LOCKED
            """).ToListAsync(cancellationToken);
        if (customers.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return [];
        }

        var context = await schedules.ContextAsync(cancellationToken);
        var swept = new List<SweptSubject>();
        foreach (var customer in customers)
        {
            var schedule = await schedules.EvaluateAsync(context, customer, now, cancellationToken);
            var categories = new List<SweptCategory>();
            foreach (var due in schedule.Categories.Where(c => c.State == CategoryState.Due).GroupBy(c => c.Action!.Value))
            {
                var reason = string.Join("; ", due.Select(c => $"{c.Category}: {c.Why}"));
                var request = await workflow.StartRetentionAsync(customer, due.Key == RetentionAction.Erase ? RequestType.Erasure : RequestType.Anonymisation,
                    [.. due.Select(c => c.Category)], reason.Length > 2000 ? reason[..1999] + "…" : reason, Actor, cancellationToken);
                foreach (var category in due)
                {
                    db.Add(new RetentionItem
                    {
                        CustomerNumber = customer, CategoryKey = category.Category, DueAt = category.EndsAt!.Value, Action = due.Key, RequestId = request.Id,
                        SweptAt = now, SweptBy = Actor,
                    });
                    categories.Add(new SweptCategory(category.Category, due.Key, category.EndsAt!.Value, request.Id));
                }
            }

            await db.Set<RetentionSubject>().Where(s => s.CustomerNumber == customer)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextDueAt, schedule.NextDueAt).SetProperty(x => x.EvaluatedAt, now), cancellationToken);
            swept.Add(new SweptSubject(customer, categories));
        }

        if (swept.Any(s => s.Categories.Count > 0)) // each request is audited itself; this ties the batch together
        {
            audit.Record("retention.subjects_swept", "retention", "subjects", new
            {
                evaluated = customers.Count,
                categories = swept.Sum(s => s.Categories.Count),
                requests = swept.SelectMany(s => s.Categories).Select(c => c.RequestId).Distinct().Count(),
            }, Platform.Security.Actor.Service);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        metrics.CustomersSwept(customers.Count, swept.Sum(s => s.Categories.Count));
        return swept;
    }

    /// <summary>Applies each own store's rule as of now, batch by batch, until nothing is due; or counts what is due at <paramref name="dryRunAt"/>.</summary>
    public async Task<IReadOnlyList<StoreSweep>> SweepStoresAsync(DateTimeOffset? dryRunAt, CancellationToken cancellationToken)
    {
        var now = dryRunAt ?? time.GetUtcNow();
        var rules = await db.Set<RetentionRule>().AsNoTracking().ToListAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        var results = new List<StoreSweep>();
        foreach (var store in OwnDataStores.All)
        {
            var rule = store.RuleIn(rules);
            if (rule is null || !store.Applies(rule))
            {
                results.Add(new StoreSweep(store.Name, store.Purpose, store.Category, rule?.Period ?? "", rule?.Trigger, 0,
                    rule is null ? "No retention rule: kept (a gap)." : $"The rule's trigger {rule.Trigger} does not apply to this store."));
                continue;
            }

            var at = StoreThresholds.At(IsoPeriod.Parse(rule.Period), consentOptions.Value.ValidityMonths, now);
            long rows = 0;
            if (dryRunAt is not null)
            {
                rows = await OwnDataStores.CountDueAsync(connection, store, rule.Trigger, at, now, cancellationToken);
            }
            else
            {
                object? cursor = null;
                while (true)
                {
                    await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                    var npgsqlTransaction = (NpgsqlTransaction)transaction.GetDbTransaction();
                    await using (var locked = BatchCommands.Command(connection, "SELECT pg_try_advisory_xact_lock(hashtext('retention-store:' || $1))", store.Name))
                    {
                        locked.Transaction = npgsqlTransaction;
                        if (!(bool)(await locked.ExecuteScalarAsync(cancellationToken))!)
                        {
                            break; // another replica is sweeping this store
                        }
                    }

                    var (changed, last) = await OwnDataStores.ApplyBatchAsync(connection, npgsqlTransaction, store, rule.Trigger, at, now, cursor,
                        options.Value.StoreBatchSize, cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    metrics.StoreRowsSwept(store.Name, changed);
                    rows += changed;
                    if (last is null)
                    {
                        break;
                    }

                    cursor = last;
                }

                if (rows > 0)
                {
                    audit.Record("retention.store_swept", "retention_store", store.Name,
                        new { rows, rule = $"{rule.CategoryKey} × {rule.PurposeKey}", rule.Period, trigger = rule.Trigger.ToString(), action = rule.Action.ToString() },
                        Platform.Security.Actor.Service);
                    await db.SaveChangesAsync(cancellationToken);
                }
            }

            results.Add(new StoreSweep(store.Name, store.Purpose, store.Category, rule.Period, rule.Trigger, rows, null));
        }

        return results;
    }
}

/// <summary>Runs the sweep on every replica: customers batch by batch while any is due, then the own stores; then waits.</summary>
public sealed class RetentionSweeper(IServiceScopeFactory scopes, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.SweepEnabled)
        {
            return;
        }

        DateTimeOffset? storesSwept = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var stores = storesSwept is null || time.GetUtcNow() - storesSwept >= options.Value.StoreInterval;
                await SweepOnceAsync(scopes, options.Value, stores, stoppingToken);
                storesSwept = stores ? time.GetUtcNow() : storesSwept;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Exceptions here come from the database and carry no subject's data; the next round starts over.
                logger.LogError(exception, "Retention sweep failed; retrying in {Interval}", options.Value.Interval);
            }

            await Task.Delay(options.Value.Interval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>One full sweep: every due customer (a scope per batch), then (when <paramref name="stores"/>) the own stores.</summary>
    public static async Task<(int Subjects, IReadOnlyList<StoreSweep> Stores)> SweepOnceAsync(
        IServiceScopeFactory scopes, RetentionOptions options, bool stores, CancellationToken cancellationToken)
    {
        var result = await SweepAsync(scopes, options, stores, cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<PrivacyMetrics>().SweepCompleted(scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow());
        return result;
    }

    private static async Task<(int Subjects, IReadOnlyList<StoreSweep> Stores)> SweepAsync(
        IServiceScopeFactory scopes, RetentionOptions options, bool stores, CancellationToken cancellationToken)
    {
        var subjects = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var swept = await scope.ServiceProvider.GetRequiredService<RetentionSweep>().SweepSubjectsAsync(cancellationToken);
            subjects += swept.Count;
            if (swept.Count < options.SubjectBatchSize)
            {
                break;
            }
        }

        if (!stores)
        {
            return (subjects, []);
        }

        await using var storeScope = scopes.CreateAsyncScope();
        return (subjects, await storeScope.ServiceProvider.GetRequiredService<RetentionSweep>().SweepStoresAsync(null, cancellationToken));
    }
}
