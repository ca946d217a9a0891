using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Privacy.Api.Platform.Database;

public static class TransactionExtensions
{
    /// <summary>
    /// Begins a transaction unless one is already open on the context (e.g. the idempotency filter's),
    /// in which case the caller's work simply joins it and the outer owner commits.
    /// </summary>
    public static async Task<IDbContextTransaction?> BeginUnlessInTransactionAsync(this DatabaseFacade database,
        CancellationToken cancellationToken) =>
        database.CurrentTransaction is null ? await database.BeginTransactionAsync(cancellationToken) : null;
}
