using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Logging;

/// <summary>PostgreSQL's error details quote row values; exceptions get logged, so the service never asks for them.</summary>
public sealed class DatabaseErrorDetailTests
{
    [Fact]
    public async Task AUniqueViolationsExceptionDoesNotQuoteTheValueEvenWhenTheConnectionStringAsksForDetails()
    {
        var database = await TestPostgres.CreateDatabaseAsync("errordetail");
        await using var factory = new PrivacyApiFactory().UsingConnectionString(database + ";Include Error Detail=true");
        await using var connection = await factory.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE people (email text UNIQUE)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        // Act
        var failure = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO people VALUES ('anna.svensson@example.se'), ('anna.svensson@example.se')", connection);
            await insert.ExecuteNonQueryAsync();
        });

        // Assert
        Assert.Equal(PostgresErrorCodes.UniqueViolation, failure.SqlState);
        Assert.DoesNotContain("anna.svensson", failure.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("anna.svensson", failure.Detail ?? "", StringComparison.Ordinal);
    }
}
