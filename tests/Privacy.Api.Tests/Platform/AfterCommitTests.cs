using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Platform.Database;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>Work that waits for a commit runs once the transaction commits, never after a rollback, and at once outside a transaction.</summary>
public sealed class AfterCommitTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task WorkRunsOnCommitOnlyAndNeverAfterARollback()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var ran = new List<string>();

        AfterCommit.Run(db.Database, () => ran.Add("no transaction"));
        Assert.Equal(["no transaction"], ran);

        await using (var rolledBack = await db.Database.BeginTransactionAsync())
        {
            AfterCommit.Run(db.Database, () => ran.Add("rolled back"));
            await rolledBack.RollbackAsync();
        }

        await using (var abandoned = await db.Database.BeginTransactionAsync())
        {
            AfterCommit.Run(db.Database, () => ran.Add("abandoned")); // disposed without commit: rolled back
        }

        await using (var committed = await db.Database.BeginTransactionAsync())
        {
            AfterCommit.Run(db.Database, () => ran.Add("committed"));
            Assert.Equal(["no transaction"], ran); // not before the commit
            await db.Database.ExecuteSqlRawAsync("SELECT 1");
            await committed.CommitAsync();
        }

        Assert.Equal(["no transaction", "committed"], ran);
    }
}
