using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// API keys managed at run time by ops: created keys work at once and are kept only as their hash, are shown once and never
/// listed, are bound like configured keys, are validated field by field, and every change is audited without the key.
/// </summary>
public sealed class ApiKeyManagementTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Fact]
    public async Task ACreatedKeyWorksAtOnceAndOnlyItsHashIsStored()
    {
        var id = ApiKeyRequests.NewId("website");

        var (key, created) = await _ops.CreateKey(new { id, role = Roles.Frontend });

        Assert.StartsWith("smpk_", key, StringComparison.Ordinal);
        Assert.True(key.Length >= 48, key.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("database", "active", "test-ops"),
            (created.GetProperty("source").GetString(), created.GetProperty("status").GetString(), created.GetProperty("createdBy").GetString()));
        var whoami = await factory.ClientWithKey(key).GetFromJson("/whoami");
        Assert.Equal((id, Roles.Frontend), (whoami.GetProperty("keyId").GetString(), whoami.GetProperty("role").GetString()));
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.api_keys WHERE id = $1 AND hash = $2", id, ApiKeyAuthentication.Hash(key)));
        Assert.Empty(await ColumnsHolding(key));
    }

    [Fact]
    public async Task NeitherTheListNorAKeysPageShowsTheKeyOrItsHash()
    {
        var id = ApiKeyRequests.NewId("card");
        var (key, _) = await _ops.CreateKey(new { id, role = Roles.Partner, recipient = "card-provider" });
        var hash = ApiKeyAuthentication.Hash(key);

        using var list = await _ops.GetAsync("/api-keys");
        using var one = await _ops.GetAsync($"/api-keys/{id}");
        var (listed, page) = (await list.Content.ReadAsStringAsync(), await one.Content.ReadAsStringAsync());

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (list.StatusCode, one.StatusCode));
        Assert.Contains(id, listed, StringComparison.Ordinal);
        Assert.Contains("\"test-partner\"", listed, StringComparison.Ordinal); // configured keys are listed too
        foreach (var secret in new[] { key, key["smpk_".Length..], hash, PrivacyApiFactory.Keys[Roles.Partner], ApiKeyAuthentication.Hash(PrivacyApiFactory.Keys[Roles.Partner]) })
        {
            Assert.DoesNotContain(secret, listed, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, page, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("hash", listed, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("card-provider", JsonDocument.Parse(page).RootElement.GetProperty("recipient").GetString());
    }

    [Fact]
    public async Task ARetriedCreateCreatesNothingAndNeverShowsTheKeyAgain()
    {
        var id = ApiKeyRequests.NewId("accounting");
        var body = JsonSerializer.Serialize(new { id, role = Roles.System, system = "accounting" });
        HttpRequestMessage Create(string? idempotencyKey)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api-keys") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (idempotencyKey is not null)
            {
                request.Headers.Add(IdempotencyFilter.HeaderName, idempotencyKey);
            }

            return request;
        }

        var idempotencyKey = Guid.NewGuid().ToString();
        using var first = await _ops.SendAsync(Create(idempotencyKey));
        var key = (await first.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("key").GetString()!;

        // Act: the same request again, with and without the Idempotency-Key.
        using var retried = await _ops.SendAsync(Create(idempotencyKey));
        using var again = await _ops.SendAsync(Create(null));

        var replay = await retried.AssertProblem(HttpStatusCode.Conflict);
        Assert.True(retried.Headers.Contains(IdempotencyFilter.ReplayedHeader));
        Assert.Equal($"/api-keys/{id}", retried.Headers.Location?.OriginalString);
        Assert.DoesNotContain("smpk_", replay.GetRawText(), StringComparison.Ordinal);
        await again.AssertProblem(HttpStatusCode.Conflict);
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.api_keys WHERE id = $1", id));
        Assert.Empty(await ColumnsHolding(key)); // the idempotency record kept no copy of the answer
        Assert.Equal(HttpStatusCode.OK, await factory.ClientWithKey(key).WhoAmIStatus());
    }

    [Fact]
    public async Task APartnerKeyCreatedAtRunTimeSeesOnlyItsOwnRecipientsFeed()
    {
        var (key, _) = await _ops.CreateKey(new { id = ApiKeyRequests.NewId("invoicing"), role = Roles.Partner, recipient = "invoicing-partner" });
        var customer = TestSubjects.NewCustomer();
        var at = factory.Time.GetUtcNow().AddMinutes(-1);
        using (var disclosed = await factory.Client(Roles.System).PostJson("/disclosures", new
               {
                   disclosures = new object[]
                   {
                       new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.name" }, purpose = "customer_obligations", legalGround = "contract", disclosedAt = at, reference = "TO-CARD" },
                       new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.financial.bank_account" }, purpose = "billing", legalGround = "contract", disclosedAt = at, reference = "TO-INVOICING" },
                   },
               }))
        {
            Assert.True(disclosed.IsSuccessStatusCode, await disclosed.Content.ReadAsStringAsync());
        }

        var (entries, _) = await PartnerFeedReader.ReadUntil(factory.ClientWithKey(key), e => e.GetProperty("customerNumber").GetString() == customer);

        var theirs = entries.Where(e => e.GetProperty("customerNumber").GetString() == customer).ToList();
        Assert.Contains(theirs, e => e.GetProperty("disclosure").GetProperty("reference").GetString() == "TO-INVOICING");
        Assert.DoesNotContain(theirs, e => e.GetProperty("disclosure").GetProperty("reference").GetString() == "TO-CARD");
    }

    [Fact]
    public async Task AMetricsKeyCreatedAtRunTimeScrapesAndIsRefusedEverywhereElse()
    {
        var (key, _) = await _ops.CreateKey(new { id = ApiKeyRequests.NewId("prometheus"), role = Roles.Metrics });
        var prometheus = factory.ClientWithKey(key);

        using (var scrape = await prometheus.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        }

        foreach (var path in new[] { "/whoami", "/api-keys", "/operations/dashboard", "/registry/categories", "/partner/feed", "/nothing-here" })
        {
            using var refused = await prometheus.GetAsync(path);
            await refused.AssertProblem(HttpStatusCode.Forbidden);
        }
    }

    public static TheoryData<string, string> InvalidKeys => new()
    {
        { """{"id": "Not An Id", "role": "frontend"}""", "id" },
        { """{"id": "x-role", "role": "root"}""", "role" },
        { """{"id": "x-partner", "role": "partner"}""", "recipient" },
        { """{"id": "x-partner-unknown", "role": "partner", "recipient": "no-such-recipient"}""", "recipient" },
        { """{"id": "x-frontend-bound", "role": "frontend", "recipient": "card-provider"}""", "recipient" },
        { """{"id": "x-system", "role": "system"}""", "system" },
        { """{"id": "x-system-unknown", "role": "system", "system": "no-such-system"}""", "system" },
        { """{"id": "x-ops-bound", "role": "ops", "system": "booking"}""", "system" },
        { """{"id": "x-expired", "role": "frontend", "expiresAt": "2020-01-01T00:00:00Z"}""", "expiresAt" },
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public async Task AnInvalidKeyIsRefusedNamingTheFieldAndNothingIsStored(string body, string field)
    {
        using var response = await _ops.PostAsync("/api-keys", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal([field], await response.AssertValidationErrors());
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.api_keys WHERE id = $1", id));
    }

    [Fact]
    public async Task AnIdInUseByAConfiguredOrStoredKeyIsRefusedAndAnExpiryMustBeInTheFuture()
    {
        var id = ApiKeyRequests.NewId("website");
        await _ops.CreateKey(new { id, role = Roles.Frontend });

        foreach (var taken in new[] { "test-frontend", id })
        {
            using var clash = await _ops.PostJson("/api-keys", new { id = taken, role = Roles.Frontend });
            await clash.AssertProblem(HttpStatusCode.Conflict);
        }

        using var past = await _ops.PutJson($"/api-keys/{id}/expiry", new { expiresAt = factory.Time.GetUtcNow().AddMinutes(-1) });
        Assert.Equal(["expiresAt"], await past.AssertValidationErrors());
        using var missing = await _ops.PutJson("/api-keys/no-such-key/expiry", new { expiresAt = factory.Time.GetUtcNow().AddDays(1) });
        await missing.AssertProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AKeyCannotRevokeItselfAndOnlyOpsManageKeys()
    {
        using (var own = await _ops.PostAsync("/api-keys/test-ops/revoke", null))
        {
            await own.AssertProblem(HttpStatusCode.Conflict);
        }

        Assert.Equal(HttpStatusCode.OK, await _ops.WhoAmIStatus());
        foreach (var role in Roles.All.Where(r => r != Roles.Ops))
        {
            using var list = await factory.Client(role).GetAsync("/api-keys");
            await list.AssertProblem(HttpStatusCode.Forbidden);
            using var revoke = await factory.Client(role).PostAsync("/api-keys/test-partner/revoke", null);
            await revoke.AssertProblem(HttpStatusCode.Forbidden);
        }

        Assert.Equal(HttpStatusCode.OK, await factory.Client(Roles.Partner).WhoAmIStatus());
    }

    [Fact]
    public async Task CreationExpiryAndRevocationAreAuditedWithoutTheKeyOrItsHash()
    {
        var id = ApiKeyRequests.NewId("booking");
        var (key, _) = await _ops.CreateKey(new { id, role = Roles.System, system = "booking" });
        using (var expiry = await _ops.PutJson($"/api-keys/{id}/expiry", new { expiresAt = factory.Time.GetUtcNow().AddDays(7) }))
        {
            Assert.Equal(HttpStatusCode.OK, expiry.StatusCode);
        }

        using (var revoked = await _ops.PostAsync($"/api-keys/{id}/revoke", null))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        var entries = new List<(string Action, string Actor, string Binding)>();
        await using (var connection = await factory.OpenDatabaseAsync())
        await using (var command = new NpgsqlCommand(
                         "SELECT action, actor_key_id, concat(details->>'role', ' ', details->>'system') FROM privacy.audit_entries WHERE entity_type = 'api_key' AND entity_id = $1 ORDER BY id", connection))
        {
            command.Parameters.AddWithValue(id);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                entries.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        Assert.Equal(["api_key.created", "api_key.expiry_set", "api_key.revoked"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal("test-ops", e.Actor));
        Assert.All(entries, e => Assert.Equal("system booking", e.Binding));
        Assert.Equal(0, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE strpos(details::text || entity_id || action, $1) > 0 OR strpos(details::text || entity_id, $2) > 0",
            key["smpk_".Length..], ApiKeyAuthentication.Hash(key)));
    }

    /// <summary>Every text, character and JSON column of the service's tables that holds <paramref name="value"/>.</summary>
    private async Task<List<string>> ColumnsHolding(string value)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        var columns = new List<string>();
        await using (var command = new NpgsqlCommand(
                         """
                         SELECT format('%I.%I', c.table_name, c.column_name) FROM information_schema.columns c
                         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
                         WHERE c.table_schema = 'privacy' AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
                         """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                columns.Add(reader.GetString(0));
            }
        }

        Assert.Contains("api_keys.hash", columns);
        var holding = new List<string>();
        foreach (var column in columns)
        {
            var (table, name) = (column[..column.IndexOf('.')], column[(column.IndexOf('.') + 1)..]);
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM privacy.{table} WHERE strpos({name}::text, $1) > 0", connection);
            count.Parameters.AddWithValue(value);
            if (Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                holding.Add(column);
            }
        }

        return holding;
    }
}
