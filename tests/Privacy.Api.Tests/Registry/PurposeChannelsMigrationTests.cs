using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Privacy.Api.Platform.Database;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Registry;

/// <summary>
/// A database seeded before purposes had consent channels: the seed never touches an existing entry, so the migration fills them.
/// </summary>
public sealed class PurposeChannelsMigrationTests
{
    private const string BeforeChannels = "20261125203733_OutboxDeadLetterIndex";

    [Fact]
    public async Task TheMigrationGivesTheSeededConsentPurposesTheirChannelsAndOtherConsentPurposesEveryChannel()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(PurposeChannelsMigrationTests));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var options = new DbContextOptionsBuilder<PrivacyDbContext>();
        DatabaseSetup.ConfigureDbContext(options, dataSource);
        await using (var db = new PrivacyDbContext(options.Options))
        {
            await db.GetService<IMigrator>().MigrateAsync(BeforeChannels);
        }

        await using (var insert = dataSource.CreateCommand("""
            INSERT INTO privacy.purposes (key, name, legal_basis, data_subjects, retention, always_on, limited_by_gpc, created_at, updated_at)
            VALUES ('newsletter', 'Newsletter', 'Consent', ARRAY['Customer', 'Visitor'], 'Until withdrawn.', false, false, now(), now()),
                   ('cookies.necessary', 'Necessary', 'LegitimateInterests', ARRAY['Customer', 'Visitor'], 'Session.', true, false, now(), now()),
                   ('reviews', 'Reviews (created by ops)', 'Consent', ARRAY['Customer'], 'Until withdrawn.', false, false, now(), now()),
                   ('billing', 'Billing', 'Contract', ARRAY['Customer'], 'Until settled.', false, false, now(), now())
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
        var channels = new Dictionary<string, string[]>();
        await using (var read = dataSource.CreateCommand("SELECT key, consent_channels FROM privacy.purposes"))
        await using (var row = await read.ExecuteReaderAsync())
        {
            while (await row.ReadAsync())
            {
                channels[row.GetString(0)] = row.GetFieldValue<string[]>(1);
            }
        }

        Assert.Equal(["SignupForm", "SettingsPage", "EmailLink", "Ops"], channels["newsletter"]);
        Assert.Equal(["Banner", "SettingsPage", "Ops"], channels["cookies.necessary"]);
        Assert.Equal(["Banner", "SettingsPage", "SignupForm", "EmailLink", "Ops"], channels["reviews"]); // as before, until ops narrow it
        Assert.Empty(channels["billing"]);
        await using var audited = dataSource.CreateCommand(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'registry.Purpose.migrated' AND entity_type = 'registry.Purpose'");
        Assert.Equal(3L, await audited.ExecuteScalarAsync());
    }
}
