using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Disclosures;

/// <summary>
/// The egress gate (Art 5(1)(b)–(c), Art 19, Art 30(1)(d)): a recipient or internal system is sent values only of categories it
/// was given or holds, every value sent to a recipient is logged as a disclosure to it, and what is left out is audited.
/// </summary>
public sealed class EgressGateTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private const string NationalId = "user.government_id.national_identification_number";
    private readonly HttpClient _ops = factory.Client(Roles.Ops);
    private readonly HttpClient _cardPartner = factory.Client(Roles.Partner);
    private readonly HttpClient _invoicingPartner = factory.ClientWithKey(PrivacyApiFactory.OtherPartnerKey);

    /// <summary>Name and e-mail went to the card provider; name and bank account to the invoicing partner.</summary>
    private async Task<string> CustomerKnownToBothPartners()
    {
        var customer = TestSubjects.NewCustomer();
        var at = factory.Time.GetUtcNow().AddMinutes(-1);
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new object[]
            {
                new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.name", "user.contact.email" },
                      purpose = "customer_obligations", legalGround = "contract", disclosedAt = at },
                new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.name", "user.financial.bank_account" },
                      purpose = "billing", legalGround = "contract", disclosedAt = at },
            },
        })).EnsureSuccessStatusCode();
        return customer;
    }

    private async Task<List<string>> Texts(string sql, params object[] parameters)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.AddWithValue(p);
        }

        var texts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }

    private static bool IsFollowUpFor(JsonElement entry, string customer) =>
        entry.GetProperty("type").GetString() == "follow_up" && entry.GetProperty("customerNumber").GetString() == customer;

    [Fact]
    public async Task ACorrectionReachesOnlyTheRecipientsGivenTheCorrectedCategoryAndIsLoggedAsADisclosure()
    {
        var customer = await CustomerKnownToBothPartners();

        // Act: the e-mail and the personnummer corrected; only the card provider had the e-mail, nobody the personnummer.
        using var response = await _ops.PostJson("/follow-ups", new
        {
            customerNumber = customer, action = "rectify", reference = "CASE-9",
            corrections = new Dictionary<string, string> { ["user.contact.email"] = "new.address@example.com", [NationalId] = "19811218-9876" },
        });

        // Assert: one follow-up, to the card provider, carrying the e-mail only.
        var raised = await response.ReadOk<JsonElement>(HttpStatusCode.Created);
        var followUp = Assert.Single(raised.GetProperty("followUps").EnumerateArray());
        Assert.Equal("card-provider", followUp.GetProperty("recipient").GetString());
        Assert.Equal(["user.contact.email"], followUp.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        var (card, _) = await PartnerFeedReader.ReadUntil(_cardPartner, e => IsFollowUpFor(e, customer));
        var corrections = Assert.Single(card, e => IsFollowUpFor(e, customer)).GetProperty("followUp").GetProperty("corrections");
        Assert.Equal(["user.contact.email"], corrections.EnumerateObject().Select(p => p.Name));
        var (invoicing, _) = await PartnerFeedReader.ReadAll(_invoicingPartner);
        Assert.DoesNotContain(invoicing, e => IsFollowUpFor(e, customer));

        // Nothing of the personnummer in any message that leaves, to anyone.
        var bodies = await Texts("SELECT payload::text FROM privacy.outbox_messages WHERE payload::text LIKE '%' || $1 || '%'", customer);
        Assert.Single(bodies);
        Assert.All(bodies, b => Assert.DoesNotContain("19811218", b));

        // The new e-mail value given to the card provider is a disclosure to it, in the same transaction, in its feed.
        var logged = await _ops.GetFromJsonAsync<JsonElement>($"/disclosures?customerNumber={customer}&recipient=card-provider");
        var disclosure = logged.GetProperty("items").EnumerateArray().Last();
        Assert.Equal(["user.contact.email"], disclosure.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("customer_obligations", disclosure.GetProperty("purpose").GetString());
        Assert.Equal($"follow-up:{followUp.GetProperty("id").GetInt64()}", disclosure.GetProperty("reference").GetString());
        Assert.Contains(card, e => e.GetProperty("type").GetString() == "disclosure"
                                   && e.GetProperty("disclosure").GetProperty("reference").GetString() == disclosure.GetProperty("reference").GetString());

        // What was left out is audited.
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'egress.withheld' AND entity_id = 'card-provider' AND details::text LIKE '%' || $1 || '%'",
            "follow-up:" + followUp.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task ACorrectionForANamedRecipientThatWasNeverGivenTheCategoryIsRefusedAndNothingIsWritten()
    {
        var customer = await CustomerKnownToBothPartners();

        using var response = await _ops.PostJson("/follow-ups", new
        {
            customerNumber = customer, action = "rectify", recipient = "card-provider",
            corrections = new Dictionary<string, string> { [NationalId] = "19811218-9876", ["user.name"] = "Anna Andersson" },
        });

        var problem = await response.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal([$"corrections.{NationalId}"], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain("19811218", problem.GetRawText());
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.follow_ups WHERE customer_number = $1", customer));
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM privacy.disclosures WHERE customer_number = $1", customer));
    }

    [Fact]
    public async Task CorrectionsNameRegistryCategories()
    {
        var customer = await CustomerKnownToBothPartners();

        using var response = await _ops.PostJson("/follow-ups", new
        {
            customerNumber = customer, action = "rectify", corrections = new Dictionary<string, string> { ["email"] = "x@example.com" },
        });

        Assert.Equal(["corrections.email"], await response.AssertValidationErrors());
        using var withCategories = await _ops.PostJson("/follow-ups", new
        {
            customerNumber = customer, action = "rectify", categories = new[] { "user.name" },
            corrections = new Dictionary<string, string> { ["user.contact.email"] = "x@example.com" },
        });
        Assert.Equal(["categories"], await withCategories.AssertValidationErrors());
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.follow_ups WHERE customer_number = $1", customer));
    }

    [Fact]
    public async Task ASystemKeyRaisesFollowUpsOnlyForTheCategoriesItsSystemHolds()
    {
        var customer = await CustomerKnownToBothPartners();
        var booking = factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey); // booking holds no bank account

        using var refused = await booking.PostJson("/follow-ups", new
        {
            customerNumber = customer, action = "erase", categories = new[] { "user.financial.bank_account" },
        });
        var problem = await refused.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["categories[0]"], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.follow_ups WHERE customer_number = $1", customer));

        // Without categories: only booking's categories, so the invoicing partner hears of the name and not the bank account.
        using var raised = await booking.PostJson("/follow-ups", new { customerNumber = customer, action = "erase" });
        var followUps = (await raised.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("followUps").EnumerateArray()
            .ToDictionary(f => f.GetProperty("recipient").GetString()!, f => f.GetProperty("categories").EnumerateArray().Select(c => c.GetString()).ToList());
        Assert.Equal(["user.name"], followUps["invoicing-partner"]);
        Assert.Equal(["user.contact.email", "user.name"], followUps["card-provider"]);
    }

    [Fact]
    public async Task ARectificationRequestTellsEachSystemAndRecipientOnlyTheValuesOfCategoriesItHolds()
    {
        var customer = await CustomerKnownToBothPartners();

        using var submitted = await _ops.PostJson("/requests", new
        {
            type = "rectification", channel = "letter", subject = new { customerNumber = customer },
            changes = new Dictionary<string, string> { ["user.contact.email"] = "new.address@example.com", ["user.financial.bank_account"] = "5000-1234567" },
        });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString();
        (await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "Signed letter" })).EnsureSuccessStatusCode();

        // Systems: the website and booking hold the e-mail only, accounting the bank account only.
        foreach (var (system, expected) in new[] { ("website", "user.contact.email"), ("booking", "user.contact.email"), ("accounting", "user.financial.bank_account") })
        {
            var tasks = await factory.SystemClient(system).GetFromJsonAsync<JsonElement>($"/requests/tasks?system={system}");
            var task = Assert.Single(tasks.GetProperty("items").EnumerateArray(), t => t.GetProperty("requestId").GetString() == id);
            Assert.Equal([expected], task.GetProperty("changes").EnumerateObject().Select(p => p.Name));
            var sent = Assert.Single(await Texts(
                "SELECT payload->'data'->>'changes' FROM privacy.outbox_messages WHERE recipient_key = $1 AND event_type = 'rights_request.task' AND payload->'data'->>'requestId' = $2",
                system, id!));
            Assert.Equal([expected], JsonDocument.Parse(sent).RootElement.EnumerateObject().Select(p => p.Name));
        }

        // Recipients: each told the value of what it was given.
        var followUps = await _ops.GetFromJsonAsync<JsonElement>($"/follow-ups?customerNumber={customer}");
        var byRecipient = followUps.GetProperty("items").EnumerateArray()
            .ToDictionary(f => f.GetProperty("recipient").GetString()!, f => f.GetProperty("categories").EnumerateArray().Select(c => c.GetString()).ToList());
        Assert.Equal(["user.contact.email"], byRecipient["card-provider"]);
        Assert.Equal(["user.financial.bank_account"], byRecipient["invoicing-partner"]);
        var cardBody = Assert.Single(await Texts(
            "SELECT payload::text FROM privacy.outbox_messages WHERE recipient_key = 'card-provider' AND payload->'data'->>'customerNumber' = $1", customer));
        Assert.DoesNotContain("5000-1234567", cardBody);
    }
}
