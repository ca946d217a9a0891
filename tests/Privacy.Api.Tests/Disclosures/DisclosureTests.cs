using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Disclosures;

public sealed class DisclosureTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _system = factory.Client(Roles.System);
    private readonly HttpClient _cardPartner = factory.Client(Roles.Partner);
    private readonly HttpClient _invoicingPartner = factory.ClientWithKey(PrivacyApiFactory.OtherPartnerKey);

    private object Disclosure(string recipient, string customer, string purpose, params string[] categories) => new
    {
        recipient, customerNumber = customer, categories, purpose, legalGround = "contract",
        disclosedAt = factory.Time.GetUtcNow().AddMinutes(-1), reference = "ORDER-1",
    };

    [Fact]
    public async Task ANullDisclosureInABatchIsNamedNotA500()
    {
        var customer = TestSubjects.NewCustomer();

        using var response = await _system.PostAsJsonAsync("/disclosures", new
        {
            disclosures = new[] { Disclosure("card-provider", customer, "customer_obligations", "user.name"), null },
        });

        Assert.Equal(["disclosures[1]"], await response.AssertValidationErrors());
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.disclosures WHERE customer_number = $1", customer));
    }

    [Fact]
    public async Task ABatchIsRecordedAndFoundByCustomerAndRecipient()
    {
        var customer = TestSubjects.NewCustomer();

        using var response = await _system.PostAsJsonAsync("/disclosures", new
        {
            disclosures = new[]
            {
                Disclosure("card-provider", customer, "customer_obligations", "user.name", "user.financial.credit_card"),
                Disclosure("invoicing-partner", customer, "billing", "user.name", "user.financial.bank_account"),
            },
        });

        var recorded = await response.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(2, recorded.GetProperty("count").GetInt32());
        var found = await _system.GetFromJsonAsync<JsonElement>($"/disclosures?customerNumber={customer}");
        Assert.Equal(["card-provider", "invoicing-partner"], found.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("recipient").GetString()));
        var byCategory = await _system.GetFromJsonAsync<JsonElement>($"/disclosures?customerNumber={customer}&category=user.financial.bank_account");
        Assert.Equal("invoicing-partner", Assert.Single(byCategory.GetProperty("items").EnumerateArray()).GetProperty("recipient").GetString());
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'disclosure.recorded' AND details->>'count' = '2'"));
    }

    [Fact]
    public async Task ACategoryTheRegistryDoesNotAllowForTheRecipientRefusesTheWholeBatch()
    {
        var customer = TestSubjects.NewCustomer();

        using var response = await _system.PostAsJsonAsync("/disclosures", new
        {
            disclosures = new[]
            {
                Disclosure("card-provider", customer, "customer_obligations", "user.name"),
                // The card provider is not registered to receive national identity numbers, nor anything for billing.
                Disclosure("card-provider", customer, "customer_obligations", "user.government_id.national_identification_number"),
                Disclosure("card-provider", customer, "billing", "user.name"),
            },
        });

        var problem = await response.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["disclosures[1].categories[0]", "disclosures[2].categories[0]"],
            problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
        Assert.Contains("break the policy", problem.GetProperty("errors").GetProperty("disclosures[1].categories[0]")[0].GetString());
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.disclosures WHERE customer_number = $1", customer));
    }

    [Fact]
    public async Task InvalidDisclosuresNameTheirFields()
    {
        using var response = await _system.PostAsJsonAsync("/disclosures", new
        {
            disclosures = new object[]
            {
                new { recipient = "card-provider", customerNumber = "12ab", categories = Array.Empty<string>(), purpose = "billing", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
            },
        });
        Assert.Equal(["disclosures[0].categories", "disclosures[0].customerNumber"], (await response.AssertValidationErrors()).Order());

        using var future = await _system.PostAsJsonAsync("/disclosures", new
        {
            disclosures = new[] { new { recipient = "card-provider", customerNumber = "1001", categories = new[] { "user.name" }, purpose = "customer_obligations", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow().AddDays(1) } },
        });
        Assert.Equal(["disclosures[0].disclosedAt"], await future.AssertValidationErrors());
    }

    [Fact]
    public async Task APartnerSeesOnlyItsOwnStreamAndItsCursorIsUselessToAnother()
    {
        var customer = TestSubjects.NewCustomer();
        (await _system.PostAsJsonAsync("/disclosures", new
        {
            disclosures = new[]
            {
                Disclosure("card-provider", customer, "customer_obligations", "user.name"),
                Disclosure("invoicing-partner", customer, "billing", "user.financial.bank_account"),
            },
        })).EnsureSuccessStatusCode();

        // The feed trails every transaction still running on the server (other tests share it): read until it has caught up.
        var card = await PartnerFeedReader.ReadUntil(_cardPartner, e => e.GetProperty("customerNumber").GetString() == customer);
        var invoicing = await PartnerFeedReader.ReadUntil(_invoicingPartner, e => e.GetProperty("customerNumber").GetString() == customer);

        Assert.Contains(card.Entries, e => e.GetProperty("customerNumber").GetString() == customer && Purpose(e) == "customer_obligations");
        Assert.DoesNotContain(card.Entries, e => Purpose(e) == "billing");
        Assert.Contains(invoicing.Entries, e => e.GetProperty("customerNumber").GetString() == customer && Purpose(e) == "billing");
        Assert.DoesNotContain(invoicing.Entries, e => Purpose(e) == "customer_obligations");

        using var stolen = await _invoicingPartner.GetAsync($"/partner/feed?cursor={Uri.EscapeDataString(card.Cursor)}");
        Assert.Equal(["cursor"], await stolen.AssertValidationErrors());
        using var forged = await _cardPartner.GetAsync($"/partner/feed?cursor={Uri.EscapeDataString(card.Cursor.Replace(".", "0.", StringComparison.Ordinal))}");
        Assert.Equal(["cursor"], await forged.AssertValidationErrors());
        foreach (var role in new[] { Roles.Ops, Roles.System, Roles.Frontend })
        {
            using var other = await factory.Client(role).GetAsync("/partner/feed");
            await other.AssertProblem(HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task PagingWhileTenThousandEntriesArriveYieldsEveryEntryExactlyOnce()
    {
        // Each transaction writes disclosures and follow-ups (two tables, one stream): 200 × 50 = 10,000 entries.
        const int writers = 4, transactionsPerWriter = 50, disclosuresPerTransaction = 40, followUpsPerTransaction = 10;
        var seen = new List<(string Type, long Id)>();
        var (_, start) = await PartnerFeedReader.ReadAll(_invoicingPartner);
        var cursor = start;

        // Writers commit concurrently, out of id order (each holds its transaction open a moment).
        var writing = Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            await using var connection = await factory.OpenDatabaseAsync();
            for (var t = 0; t < transactionsPerWriter; t++)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                await using var insert = new NpgsqlBatch(connection, transaction)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand($"""
                            INSERT INTO privacy.disclosures (recipient_key, purpose_key, legal_ground, customer_number, categories, disclosed_at, recorded_by, recorded_at)
                            SELECT 'invoicing-partner', 'billing', 'Contract', (5000000 + g)::text, ARRAY['user.name'], now(), 'load', now()
                            FROM generate_series(1, {disclosuresPerTransaction}) g
                            """),
                        new NpgsqlBatchCommand($"""
                            INSERT INTO privacy.follow_ups (message_id, recipient_key, action, customer_number, categories, purposes, requested_by, created_at, status)
                            SELECT gen_random_uuid(), 'invoicing-partner', 'Erase', (5000000 + g)::text, ARRAY['user.name'], ARRAY[]::text[], 'load', now(), 'Pending'
                            FROM generate_series(1, {followUpsPerTransaction}) g
                            """),
                    },
                };
                await insert.ExecuteNonQueryAsync();
                await Task.Delay(Random.Shared.Next(0, 4));
                await transaction.CommitAsync();
            }
        }));

        // Act: page the feed while they write, then until it has caught up. An empty page alone does not mean the
        // end: the feed waits for every transaction older than its entries, and other tests share the server.
        const int total = writers * transactionsPerWriter * (disclosuresPerTransaction + followUpsPerTransaction);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (seen.Count < total && DateTime.UtcNow < deadline)
        {
            // 37: pages end inside transactions, between a disclosure and a follow-up too.
            var page = await _invoicingPartner.GetFromJsonAsync<JsonElement>($"/partner/feed?limit=37&cursor={Uri.EscapeDataString(cursor)}");
            seen.AddRange(LoadEntries(page));
            cursor = page.GetProperty("cursor").GetString()!;
        }

        await writing;
        var after = await _invoicingPartner.GetFromJsonAsync<JsonElement>($"/partner/feed?limit=37&cursor={Uri.EscapeDataString(cursor)}");
        seen.AddRange(LoadEntries(after)); // nothing more may come

        // Assert
        var written = await factory.ScalarAsync("SELECT (SELECT count(*) FROM privacy.disclosures WHERE recorded_by = 'load') + (SELECT count(*) FROM privacy.follow_ups WHERE requested_by = 'load')");
        Assert.Equal(total, written);
        var repeated = seen.GroupBy(e => e).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, $"{repeated.Count} entries came twice, e.g. {string.Join(", ", repeated.Take(5))}; seen {seen.Count}");
        Assert.Equal(written, seen.Count);
    }

    private static string? Purpose(JsonElement entry) =>
        entry.GetProperty("disclosure") is { ValueKind: JsonValueKind.Object } disclosure ? disclosure.GetProperty("purpose").GetString() : null;

    /// <summary>The entries the load wrote (they carry no reference); earlier tests' entries may still trail in.</summary>
    private static IEnumerable<(string Type, long Id)> LoadEntries(JsonElement page) =>
        page.GetProperty("items").EnumerateArray()
            .Where(e => (e.GetProperty("type").GetString() == "disclosure" ? e.GetProperty("disclosure") : e.GetProperty("followUp"))
                .GetProperty("reference").ValueKind == JsonValueKind.Null)
            .Select(e => (e.GetProperty("type").GetString()!, e.GetProperty("id").GetInt64()));

    [Fact]
    public async Task ANationalIdentityNumberIsKeptOnlyAsAKeyedHashAndFindsTheDisclosuresInAnyFormat()
    {
        var customer = TestSubjects.NewCustomer();
        using var response = await _system.PostAsJsonAsync("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.name", "user.government_id.national_identification_number" },
                      purpose = "billing", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow(), nationalIdentityNumber = "811218-9876" },
            },
        });
        response.EnsureSuccessStatusCode();

        // Nothing in the row is the number, in any format.
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.disclosures d WHERE customer_number = $1 AND length(national_id_hash) = 64 AND d::text NOT LIKE '%8112189876%' AND d::text NOT LIKE '%811218-9876%'", customer));
        var found = await (await _system.PostAsJsonAsync("/disclosures/search", new { nationalIdentityNumber = "19811218-9876" })).ReadOk<JsonElement>();
        var hit = Assert.Single(found.GetProperty("items").EnumerateArray(), d => d.GetProperty("customerNumber").GetString() == customer);
        Assert.True(hit.GetProperty("nationalIdentityNumberGiven").GetBoolean());
        var other = await (await _system.PostAsJsonAsync("/disclosures/search", new { nationalIdentityNumber = "198112189868" })).ReadOk<JsonElement>();
        Assert.DoesNotContain(other.GetProperty("items").EnumerateArray(), d => d.GetProperty("customerNumber").GetString() == customer);
    }

    [Fact]
    public async Task AnInvalidNationalIdentityNumberIsRefusedWithoutRepeatingIt()
    {
        foreach (var invalid in new[] { "811218-9875", "811318-9876", "19811218987", "abcdefghij" })
        {
            using var response = await _system.PostAsJsonAsync("/disclosures", new
            {
                disclosures = new[]
                {
                    new { recipient = "invoicing-partner", customerNumber = "1001", categories = new[] { "user.name" }, purpose = "billing",
                          legalGround = "contract", disclosedAt = factory.Time.GetUtcNow(), nationalIdentityNumber = invalid },
                },
            });
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("disclosures[0].nationalIdentityNumber", body);
            Assert.DoesNotContain(invalid, body);
            using var search = await _system.PostAsJsonAsync("/disclosures/search", new { nationalIdentityNumber = invalid });
            Assert.Equal(["nationalIdentityNumber"], await search.AssertValidationErrors());
        }
    }
}
