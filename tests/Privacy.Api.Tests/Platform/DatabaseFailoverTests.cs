using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

public sealed class DatabaseFailoverTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task AWriteThatReachesAReadOnlyDatabaseIsAnswered503AndSucceedsOnceItIsWritableAgain()
    {
        var frontend = factory.Client(Roles.Frontend);
        var customer = TestSubjects.NewCustomer();
        var decision = ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]);
        var database = new NpgsqlConnectionStringBuilder(factory.ConnectionString).Database;

        // The service's new sessions are read-only, as on a standby or a primary being demoted during a failover.
        await Alter($"ALTER DATABASE \"{database}\" SET default_transaction_read_only = on");
        try
        {
            using var refused = await frontend.PostJson("/consent/decisions", decision);
            var problem = await refused.AssertProblem(HttpStatusCode.ServiceUnavailable);
            Assert.Contains("retry", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            await Alter($"ALTER DATABASE \"{database}\" RESET default_transaction_read_only");
        }

        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1", customer));
        using var accepted = await frontend.PostJson("/consent/decisions", decision);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    private async Task Alter(string sql)
    {
        await using (var connection = await factory.OpenDatabaseAsync())
        {
            foreach (var statement in new[] { "SET default_transaction_read_only = off", sql })
            {
                await using var command = new NpgsqlCommand(statement, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        factory.Services.GetRequiredService<NpgsqlDataSource>().Clear(); // the service's next sessions take the database's setting
    }
}
