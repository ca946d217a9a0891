using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Privacy.Api.Platform.Database;

/// <summary>
/// Work to do only once the context's transaction has committed, such as counting what it wrote: the transaction may
/// belong to someone else (the idempotency filter's), who can still roll it back after the writer is done.
/// </summary>
public sealed class AfterCommit : DbTransactionInterceptor
{
    public static readonly AfterCommit Interceptor = new();

    /// <summary>What waits for one transaction of a context (pooled contexts live on; a stale id is simply dropped).</summary>
    private sealed record Pending(Guid TransactionId, List<Action> Actions);

    private static readonly ConditionalWeakTable<DbContext, Pending> Waiting = new();

    private AfterCommit()
    {
    }

    /// <summary>Runs <paramref name="action"/> when the current transaction commits, at once when there is none (already committed).</summary>
    public static void Run(DatabaseFacade database, Action action)
    {
        if (database.CurrentTransaction is not { } transaction)
        {
            action();
            return;
        }

        var context = database.GetService<ICurrentDbContext>().Context;
        if (!Waiting.TryGetValue(context, out var pending) || pending.TransactionId != transaction.TransactionId)
        {
            pending = new Pending(transaction.TransactionId, []);
            Waiting.AddOrUpdate(context, pending);
        }

        pending.Actions.Add(action);
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => End(eventData, committed: true);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        End(eventData, committed: true);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => End(eventData, committed: false);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        End(eventData, committed: false);
        return Task.CompletedTask;
    }

    public override void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Discard(eventData.Context);

    public override Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Discard(eventData.Context);
        return Task.CompletedTask;
    }

    private static void End(TransactionEndEventData eventData, bool committed)
    {
        if (eventData.Context is not { } context || !Waiting.TryGetValue(context, out var pending))
        {
            return;
        }

        Waiting.Remove(context);
        if (committed && pending.TransactionId == eventData.TransactionId)
        {
            foreach (var action in pending.Actions)
            {
                action();
            }
        }
    }

    private static void Discard(DbContext? context)
    {
        if (context is not null)
        {
            Waiting.Remove(context);
        }
    }
}
