using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Consent;

/// <summary>Did <paramref name="CustomerNumber"/> have an active consent to <paramref name="Purpose"/> at <paramref name="At"/>?</summary>
public sealed record ConsentQuestion(string CustomerNumber, string Purpose, DateTimeOffset At);

/// <summary>
/// For other features (the disclosure log, Art 6(1)(a)): whether a customer, with the visitors linked to them, had an active
/// consent to a purpose at a time. It is the state the website reads, as it stood then (<see cref="ConsentStateReader.ReadAtAsync"/>):
/// granted and not withdrawn since, not expired (<c>Consent:ValidityMonths</c>), and not given under a policy version that a
/// material version in effect then replaced. It runs in the caller's transaction and holds each customer's consent lock until
/// that ends: a withdrawal cannot commit between the check and the caller's write, so it is either seen by the check or sees the
/// write (and tells the recipient, Art 19).
/// </summary>
public sealed class ConsentCheck(PrivacyDbContext db, ConsentStateReader states)
{
    /// <summary>One answer per question, in order.</summary>
    public async Task<IReadOnlyList<bool>> WereActiveAsync(IReadOnlyList<ConsentQuestion> questions, CancellationToken cancellationToken)
    {
        if (questions.Count == 0)
        {
            return [];
        }

        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction
                          ?? throw new InvalidOperationException("A consent check holds its locks until the caller's transaction ends: begin one first.");
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var customers = questions.Select(q => q.CustomerNumber).Distinct().Order(StringComparer.Ordinal).ToList(); // one order: no deadlock
        var times = questions.Select(q => (q.CustomerNumber, q.At)).Distinct().ToList();

        // One round trip: the locks first, then each (customer, time) state, read after every lock is held.
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var customer in customers)
        {
            batch.BatchCommands.Add(BatchCommands.Create("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                ConsentRecorder.SubjectLock(SubjectType.Customer, customer)));
        }

        foreach (var (customer, at) in times)
        {
            batch.BatchCommands.Add(ConsentStateReader.BatchCommandAt(SubjectType.Customer, customer, at));
        }

        var active = new HashSet<(string Customer, DateTimeOffset At, string Purpose)>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            for (var i = 0; i < customers.Count; i++)
            {
                await reader.NextResultAsync(cancellationToken);
            }

            foreach (var (customer, at) in times)
            {
                var state = await states.ReadAtAsync(reader, SubjectType.Customer, customer, at, cancellationToken);
                active.UnionWith(state.Purposes.Where(p => p.Active).Select(p => (customer, at, p.Purpose)));
                await reader.NextResultAsync(cancellationToken);
            }
        }

        return [.. questions.Select(q => active.Contains((q.CustomerNumber, q.At, q.Purpose)))];
    }
}
