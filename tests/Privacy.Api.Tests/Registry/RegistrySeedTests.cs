using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Registry;

public sealed class RegistrySeedTests
{
    private static readonly string[] PolicyCategories =
    [
        "user.name", "user.contact.phone_number", "user.contact.email", "user.payment", "user.financial.credit_card", "user.unique_id",
        "user.government_id.national_identification_number", "user.contact.organization", "user.financial.bank_account",
        "user.device.ip_address", "user.behavior.browsing_history", "user.device.cookie_id", "user.account", "user.demographic.profile",
        "user.content.private",
    ];

    [Fact]
    public async Task TheSeedIsPresentOnceAfterTwoStartUps()
    {
        await using var first = new PrivacyApiFactory();
        await first.InitializeAsync();
        var afterFirst = await Counts(first);

        // Act: a second start-up on the same database
        await using (var second = new PrivacyApiFactory().UsingDatabaseOf(first))
        {
            _ = second.Services;
        }

        // Assert
        var afterSecond = await Counts(first);
        Assert.Equal(afterFirst, afterSecond);
        Assert.Equal(PolicyCategories.Length + 1, afterSecond["data_categories"]);
        Assert.Equal(19, afterSecond["purposes"]); // the policy's twelve and the privacy service's own seven
        Assert.Equal(2, afterSecond["recipients"]);
        Assert.Equal(MigrationCount(first), afterSecond["migrations"]);
        var categories = await first.Client(Roles.Frontend).GetFromJsonAsync<JsonElement>("/registry/categories");
        Assert.Equal(PolicyCategories.Append("user.privacy_preferences").Order(),
            categories.EnumerateArray().Select(c => c.GetProperty("key").GetString()!).Order());
    }

    [Fact]
    public async Task ReplicasStartingTogetherOnANewDatabaseMigrateAndSeedOnce()
    {
        var database = await TestPostgres.CreateDatabaseAsync("replicas");
        var replicas = Enumerable.Range(0, 3).Select(_ => new PrivacyApiFactory().UsingConnectionString(database)).ToList();

        // Act: three instances start at the same moment
        await Task.WhenAll(replicas.Select(r => Task.Run(() => r.Services)));

        // Assert
        var counts = await Counts(replicas[0]);
        Assert.Equal(PolicyCategories.Length + 1, counts["data_categories"]);
        Assert.Equal(19, counts["purposes"]);
        Assert.Equal(MigrationCount(replicas[0]), counts["migrations"]);
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }

    [Fact]
    public async Task SeedingNeverUndoesWhatOpsChanged()
    {
        await using var first = new PrivacyApiFactory();
        await first.InitializeAsync();
        var ops = first.Client(Roles.Ops);
        (await ops.PostAsync("/registry/recipients/invoicing-partner/retire", null)).EnsureSuccessStatusCode();
        (await ops.PutAsJsonAsync("/registry/categories/user.name", new { key = "user.name", name = "Full name" })).EnsureSuccessStatusCode();

        await using (var second = new PrivacyApiFactory().UsingDatabaseOf(first))
        {
            _ = second.Services;
        }

        var recipient = await ops.GetFromJsonAsync<JsonElement>("/registry/recipients/invoicing-partner");
        Assert.NotEqual(JsonValueKind.Null, recipient.GetProperty("retiredAt").ValueKind);
        var name = await ops.GetFromJsonAsync<JsonElement>("/registry/categories/user.name");
        Assert.Equal("Full name", name.GetProperty("name").GetString());
    }

    private static long MigrationCount(PrivacyApiFactory factory)
    {
        using var scope = factory.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<Privacy.Api.Platform.Database.PrivacyDbContext>().Database.GetMigrations().Count();
    }

    private static async Task<Dictionary<string, long>> Counts(PrivacyApiFactory factory)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        var counts = new Dictionary<string, long>();
        foreach (var (name, sql) in new[]
                 {
                     ("data_categories", "SELECT count(*) FROM privacy.data_categories"),
                     ("purposes", "SELECT count(*) FROM privacy.purposes"),
                     ("recipients", "SELECT count(*) FROM privacy.recipients"),
                     ("internal_systems", "SELECT count(*) FROM privacy.internal_systems"),
                     ("processing_links", "SELECT count(*) FROM privacy.processing_links"),
                     ("audit_entries", "SELECT count(*) FROM privacy.audit_entries"),
                     ("migrations", "SELECT count(*) FROM privacy.__ef_migrations_history"),
                 })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            counts[name] = (long)(await command.ExecuteScalarAsync())!;
        }

        return counts;
    }
}
