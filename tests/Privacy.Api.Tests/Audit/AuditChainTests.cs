using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Audit;

/// <summary>Each test gets a fresh service and database: the tests alter the chain on purpose.</summary>
public sealed class AuditChainTests : IAsyncLifetime
{
    private readonly PrivacyApiFactory _factory = new();
    private HttpClient _ops = null!;

    public async Task InitializeAsync()
    {
        await _factory.InitializeAsync();
        _ops = _factory.Client(Roles.Ops);
        for (var i = 0; i < 5; i++)
        {
            (await _ops.PostAsJsonAsync("/registry/categories", new { key = $"user.chain_{i}", name = $"Chain {i}" })).EnsureSuccessStatusCode();
        }

        (await _ops.PostAsync("/registry/categories/user.chain_0/retire", null)).EnsureSuccessStatusCode();
        (await _ops.PutAsJsonAsync("/registry/categories/user.chain_1", new { key = "user.chain_1", name = "Renamed" })).EnsureSuccessStatusCode();
        await _factory.SealAuditAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task TheChainVerifiesAfterASeriesOfChanges()
    {
        var result = await _ops.GetFromJsonAsync<JsonElement>("/audit/verify");

        Assert.True(result.GetProperty("intact").GetBoolean(), result.ToString());
        Assert.Equal(await _factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries"), result.GetProperty("verifiedEntries").GetInt64());
        Assert.Equal(0, result.GetProperty("pendingEntries").GetInt32());
        Assert.Matches("^[0-9a-f]{64}$", result.GetProperty("headSeal").GetString());
    }

    [Fact]
    public async Task AnEntryAlteredInTheDatabaseIsNamedAsTheFirstBrokenOne()
    {
        var victim = await _factory.ScalarAsync("SELECT id FROM privacy.audit_entries WHERE action = 'registry.DataCategory.retired'");
        await Tamper($"UPDATE privacy.audit_entries SET actor_key_id = 'someone-else' WHERE id = {victim}");

        var result = await _ops.GetFromJsonAsync<JsonElement>("/audit/verify");

        Assert.False(result.GetProperty("intact").GetBoolean());
        var broken = result.GetProperty("firstBrokenEntry");
        Assert.Equal(victim, broken.GetProperty("entryId").GetInt64());
        Assert.Contains("altered", broken.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("headSeal").ValueKind);
    }

    [Fact]
    public async Task AnEntryRewrittenWithAFreshSealIsCaughtAtTheNextEntry()
    {
        // An attacker who alters an entry and recomputes its seal still breaks the link to the next one.
        Privacy.Api.Audit.AuditEntry entry;
        using (var scope = _factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Privacy.Api.Platform.Database.PrivacyDbContext>();
            entry = await db.Set<Privacy.Api.Audit.AuditEntry>().AsNoTracking().SingleAsync(e => e.Action == "registry.DataCategory.retired");
        }

        entry.Action = "nothing.happened";
        var forged = Privacy.Api.Audit.AuditChain.ComputeSeal(entry, entry.ChainPosition!.Value, entry.PreviousSeal!);
        await Tamper($"UPDATE privacy.audit_entries SET action = 'nothing.happened', seal = '{forged}' WHERE id = {entry.Id}");
        var next = await _factory.ScalarAsync($"SELECT id FROM privacy.audit_entries WHERE chain_position = {entry.ChainPosition + 1}");

        var result = await _ops.GetFromJsonAsync<JsonElement>("/audit/verify");

        var broken = result.GetProperty("firstBrokenEntry");
        Assert.Equal(next, broken.GetProperty("entryId").GetInt64());
        Assert.Contains("previous seal", broken.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ADeletedEntryIsReportedAtTheGapItLeaves()
    {
        var position = await _factory.ScalarAsync("SELECT chain_position FROM privacy.audit_entries WHERE action = 'registry.DataCategory.retired'");
        var next = await _factory.ScalarAsync($"SELECT id FROM privacy.audit_entries WHERE chain_position = {position + 1}");
        await Tamper($"DELETE FROM privacy.audit_entries WHERE chain_position = {position}");

        var result = await _ops.GetFromJsonAsync<JsonElement>("/audit/verify");

        var broken = result.GetProperty("firstBrokenEntry");
        Assert.Equal(next, broken.GetProperty("entryId").GetInt64());
        Assert.Contains($"position {position} is missing", broken.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task TheDatabaseRefusesToChangeOrDeleteEntries()
    {
        await using var connection = await _factory.OpenDatabaseAsync();

        var update = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand("UPDATE privacy.audit_entries SET action = 'x' WHERE chain_position = 1", connection).ExecuteNonQueryAsync());
        var delete = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand("DELETE FROM privacy.audit_entries WHERE chain_position = 1", connection).ExecuteNonQueryAsync());
        var truncate = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand("TRUNCATE privacy.audit_entries", connection).ExecuteNonQueryAsync());

        Assert.All([update, delete, truncate], e => Assert.Contains("append-only", e.MessageText));
    }

    [Fact]
    public async Task EntriesWrittenAfterSealingArePendingUntilTheSealerRuns()
    {
        (await _ops.PostAsJsonAsync("/registry/categories", new { key = "user.late", name = "Late" })).EnsureSuccessStatusCode();

        var before = await _ops.GetFromJsonAsync<JsonElement>("/audit/verify");
        // The background sealer waits on the fake clock, so the new entry stays pending until sealed here.
        Assert.Equal(1, before.GetProperty("pendingEntries").GetInt32());
        Assert.True(before.GetProperty("intact").GetBoolean());
        await _factory.SealAuditAsync();
        var after = await _ops.GetFromJsonAsync<JsonElement>("/audit/verify");

        Assert.True(after.GetProperty("intact").GetBoolean());
        Assert.Equal(0, after.GetProperty("pendingEntries").GetInt32());
        Assert.Equal(before.GetProperty("verifiedEntries").GetInt64() + before.GetProperty("pendingEntries").GetInt32(),
            after.GetProperty("verifiedEntries").GetInt64());
    }

    [Fact]
    public async Task OnlyOpsReadTheAuditLog()
    {
        using var response = await _factory.Client(Roles.Frontend).GetAsync("/audit/entries");
        await response.AssertProblem(HttpStatusCode.Forbidden);
    }

    /// <summary>What an attacker with superuser rights could do: bypass the append-only trigger.</summary>
    private async Task Tamper(string sql)
    {
        await using var connection = await _factory.OpenDatabaseAsync();
        await new NpgsqlCommand("SET session_replication_role = replica", connection).ExecuteNonQueryAsync();
        await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
    }
}
