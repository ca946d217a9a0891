using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Privacy.Api.Platform.Database;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Registry;

/// <summary>
/// A database seeded before registry entries had texts for a person: the seed never touches an existing entry, so the migration
/// gives the seeded ones their Swedish and English texts, unless ops renamed them.
/// </summary>
public sealed class RegistryTextsMigrationTests
{
    private const string BeforeTexts = "20261201223039_RequestIdentifiers";

    [Fact]
    public async Task TheMigrationGivesSeededEntriesTheirTextsButNotOnesOpsRenamedOrAdded()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(RegistryTextsMigrationTests));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var options = new DbContextOptionsBuilder<PrivacyDbContext>();
        DatabaseSetup.ConfigureDbContext(options, dataSource);
        await using (var db = new PrivacyDbContext(options.Options))
        {
            await db.GetService<IMigrator>().MigrateAsync(BeforeTexts);
        }

        await using (var insert = dataSource.CreateCommand("""
            INSERT INTO privacy.data_categories (key, name, created_at, updated_at)
            VALUES ('user.name', 'Name', now(), now()), ('user.contact.email', 'E-mail (renamed by ops)', now(), now()),
                   ('user.contact.address', 'Postal address', now(), now());
            INSERT INTO privacy.purposes (key, name, legal_basis, data_subjects, retention, always_on, limited_by_gpc, created_at, updated_at, consent_channels)
            VALUES ('newsletter', 'Send the newsletter to those who asked for it', 'Consent', ARRAY['Customer'], 'Until withdrawn.', false, false, now(), now(), ARRAY['Ops']);
            INSERT INTO privacy.recipients (key, name, kind, country, created_at, updated_at)
            VALUES ('card-provider', 'Card and communication service provider', 'Processor', 'SE', now(), now());
            INSERT INTO privacy.internal_systems (key, name, created_at, updated_at) VALUES ('booking', 'Booking and customer service', now(), now());
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        // Act
        await using (var db = new PrivacyDbContext(options.Options))
        {
            await db.Database.MigrateAsync();
        }

        // Assert
        async Task<string?> Text(string table, string key, string column)
        {
            await using var read = dataSource.CreateCommand($"SELECT {column} FROM privacy.{table} WHERE key = $1");
            read.Parameters.AddWithValue(key);
            return await read.ExecuteScalarAsync() as string;
        }

        Assert.Equal("Namn", await Text("data_categories", "user.name", "name_sv"));
        Assert.Equal("Ditt för- och efternamn.", await Text("data_categories", "user.name", "description_sv"));
        Assert.Equal("Name", await Text("data_categories", "user.name", "name_en"));
        Assert.Null(await Text("data_categories", "user.contact.email", "name_sv"));   // renamed: its meaning may have moved
        Assert.Null(await Text("data_categories", "user.contact.address", "name_sv")); // added by ops
        Assert.Equal("Nyhetsbrev", await Text("purposes", "newsletter", "name_sv"));
        Assert.Equal("Vår leverantör av kort- och kommunikationstjänster", await Text("recipients", "card-provider", "name_sv"));
        Assert.Equal("Bokning och kundtjänst", await Text("internal_systems", "booking", "name_sv"));
        await using var audited = dataSource.CreateCommand("SELECT count(*) FROM privacy.audit_entries WHERE action LIKE 'registry.%.migrated' AND details ? 'texts'");
        Assert.Equal(4L, await audited.ExecuteScalarAsync());
    }
}
