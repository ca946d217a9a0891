using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>How the service's connections to PostgreSQL behave after a statement fails.</summary>
public sealed class DatabaseConnectionTests
{
    /// <summary>
    /// With Npgsql auto-prepare, a statement is prepared on its second use; when that use fails on a value (U+0000 in text, as
    /// the hostile-input suite sends, or a value too long for its column), the connection's next use of the
    /// statement reads a row it does not expect and throws ("Received unexpected backend message DataRow"): a 500 for an
    /// innocent request. The service's connections must not do that.
    /// </summary>
    [Theory]
    [InlineData("x\0y")]
    [InlineData("far too long")]
    public async Task AStatementThatFailsLeavesItsConnectionUsableForTheNextUseOfIt(string bad)
    {
        var database = await TestPostgres.CreateDatabaseAsync("connection");
        await using var factory = new PrivacyApiFactory().UsingConnectionString(database);
        // One connection throughout: what the pool would hand the next request.
        await using var connection = await factory.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY, text varchar(8))", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        async Task<long> InsertAsync(string text)
        {
            await using var insert = new NpgsqlCommand("INSERT INTO notes (text) VALUES (@text) RETURNING id", connection);
            insert.Parameters.AddWithValue("text", text);
            return (long)(await insert.ExecuteScalarAsync())!;
        }

        await InsertAsync("first");

        // Act
        await Assert.ThrowsAsync<PostgresException>(() => InsertAsync(bad));
        var next = await InsertAsync("next");

        // Assert
        Assert.True(next > 0);
    }
}
