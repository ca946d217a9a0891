using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Notifications;

public sealed class FollowUpTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);
    private readonly HttpClient _cardPartner = factory.Client(Roles.Partner);
    private readonly HttpClient _invoicingPartner = factory.ClientWithKey(PrivacyApiFactory.OtherPartnerKey);

    /// <summary>The customer's name and card went to the card provider, name and bank account to the invoicing partner.</summary>
    private async Task<string> CustomerKnownToBothPartners()
    {
        var customer = TestSubjects.NewCustomer();
        var at = factory.Time.GetUtcNow().AddMinutes(-1);
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new object[]
            {
                new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.name", "user.financial.credit_card" },
                      purpose = "customer_obligations", legalGround = "contract", disclosedAt = at },
                new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.name", "user.financial.bank_account" },
                      purpose = "billing", legalGround = "contract", disclosedAt = at },
            },
        })).EnsureSuccessStatusCode();
        return customer;
    }

    private static bool IsFollowUpFor(JsonElement entry, string customer) =>
        entry.GetProperty("type").GetString() == "follow_up" && entry.GetProperty("customerNumber").GetString() == customer;

    [Fact]
    public async Task AnErasureReachesEveryRecipientThatHoldsTheDataEachInItsOwnFeed()
    {
        var customer = await CustomerKnownToBothPartners();

        using var response = await _ops.PostJson("/follow-ups", new { customerNumber = customer, action = "erase", reason = "Art 17 request", reference = "CASE-1" });

        var raised = await response.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(["card-provider", "invoicing-partner"], raised.GetProperty("followUps").EnumerateArray().Select(f => f.GetProperty("recipient").GetString()));
        var (card, _) = await PartnerFeedReader.ReadUntil(_cardPartner, e => IsFollowUpFor(e, customer));
        var (invoicing, _) = await PartnerFeedReader.ReadUntil(_invoicingPartner, e => IsFollowUpFor(e, customer));
        var cardFollowUp = Assert.Single(card, e => IsFollowUpFor(e, customer)).GetProperty("followUp");
        Assert.Equal("erase", cardFollowUp.GetProperty("action").GetString());
        Assert.Equal(["user.financial.credit_card", "user.name"], cardFollowUp.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("CASE-1", cardFollowUp.GetProperty("reference").GetString());
        var invoicingFollowUp = Assert.Single(invoicing, e => IsFollowUpFor(e, customer)).GetProperty("followUp");
        Assert.Equal(["user.financial.bank_account", "user.name"], invoicingFollowUp.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        // In each stream the follow-up comes after the disclosure it is about.
        Assert.True(card.FindIndex(e => e.GetProperty("type").GetString() == "disclosure" && e.GetProperty("customerNumber").GetString() == customer)
                    < card.FindIndex(e => IsFollowUpFor(e, customer)));
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE payload->'data'->>'customerNumber' = $1", customer));
    }

    [Fact]
    public async Task AFollowUpAboutOneCategoryGoesOnlyToTheRecipientGivenIt()
    {
        var customer = await CustomerKnownToBothPartners();

        using var response = await _ops.PostJson("/follow-ups", new
        {
            customerNumber = customer, action = "rectify",
            corrections = new Dictionary<string, string> { ["user.financial.bank_account"] = "5000-1234567" },
        });

        var raised = await response.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal("invoicing-partner", Assert.Single(raised.GetProperty("followUps").EnumerateArray()).GetProperty("recipient").GetString());
        var (invoicing, _) = await PartnerFeedReader.ReadUntil(_invoicingPartner, e => IsFollowUpFor(e, customer));
        var followUp = Assert.Single(invoicing, e => IsFollowUpFor(e, customer)).GetProperty("followUp");
        Assert.Equal("5000-1234567", followUp.GetProperty("corrections").GetProperty("user.financial.bank_account").GetString());

        using var nobody = await _ops.PostJson("/follow-ups", new { customerNumber = TestSubjects.NewCustomer(), action = "restrict" });
        Assert.Equal(0, (await nobody.ReadOk<JsonElement>()).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task APartnerAcknowledgesOnlyItsOwnFollowUpsAndOpsSeeTheAnswer()
    {
        var customer = await CustomerKnownToBothPartners();
        using var response = await _ops.PostJson("/follow-ups", new { customerNumber = customer, action = "anonymise" });
        var raised = (await response.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("followUps").EnumerateArray().ToList();
        var cardId = raised.Single(f => f.GetProperty("recipient").GetString() == "card-provider").GetProperty("id").GetInt64();
        var invoicingId = raised.Single(f => f.GetProperty("recipient").GetString() == "invoicing-partner").GetProperty("id").GetInt64();

        // Another partner's follow-up does not exist for you, whatever you answer.
        using var foreign = await _invoicingPartner.PostJson($"/partner/follow-ups/{cardId}/acknowledgement", new { outcome = "done" });
        await foreign.AssertProblem(HttpStatusCode.NotFound);
        using var noReason = await _cardPartner.PostJson($"/partner/follow-ups/{cardId}/acknowledgement", new { outcome = "failed" });
        Assert.Equal(["reason"], await noReason.AssertValidationErrors());

        using var failed = await _cardPartner.PostJson($"/partner/follow-ups/{cardId}/acknowledgement", new { outcome = "failed", reason = "Record locked by a dispute" });
        Assert.Equal("failed", (await failed.ReadOk<JsonElement>()).GetProperty("status").GetString());
        using var done = await _cardPartner.PostJson($"/partner/follow-ups/{cardId}/acknowledgement", new { outcome = "done" });
        Assert.Equal("done", (await done.ReadOk<JsonElement>()).GetProperty("status").GetString());
        using var again = await _cardPartner.PostJson($"/partner/follow-ups/{cardId}/acknowledgement", new { outcome = "done" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var reversed = await _cardPartner.PostJson($"/partner/follow-ups/{cardId}/acknowledgement", new { outcome = "failed", reason = "changed my mind" });
        await reversed.AssertProblem(HttpStatusCode.Conflict);

        var listed = await _ops.GetFromJsonAsync<JsonElement>($"/follow-ups?customerNumber={customer}");
        var items = listed.GetProperty("items").EnumerateArray().ToDictionary(f => f.GetProperty("id").GetInt64());
        Assert.Equal("done", items[cardId].GetProperty("status").GetString());
        Assert.Equal("test-partner", items[cardId].GetProperty("acknowledgedBy").GetString());
        Assert.Equal("pending", items[invoicingId].GetProperty("status").GetString());
        var pending = await _ops.GetFromJsonAsync<JsonElement>($"/follow-ups?customerNumber={customer}&status=pending");
        Assert.Equal(invoicingId, Assert.Single(pending.GetProperty("items").EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Equal(2, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'follow_up.acknowledged' AND entity_id = $1", cardId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task InvalidFollowUpsNameTheirFieldsAndWriteNothing()
    {
        var customer = await CustomerKnownToBothPartners();

        using var noCorrections = await _ops.PostJson("/follow-ups", new { customerNumber = customer, action = "rectify" });
        Assert.Equal(["corrections"], await noCorrections.AssertValidationErrors());
        using var withdrawn = await _ops.PostJson("/follow-ups", new { customerNumber = customer, action = "consent_withdrawn" });
        Assert.Equal(["action"], await withdrawn.AssertValidationErrors());
        using var misplaced = await _ops.PostJson("/follow-ups", new
        {
            customerNumber = "12-ab", action = "erase", corrections = new Dictionary<string, string> { ["user.name"] = "x" },
        });
        Assert.Equal(["corrections", "customerNumber"], (await misplaced.AssertValidationErrors()).Order());
        using var unknownField = await _ops.PostJson("/follow-ups", new { customerNumber = customer, action = "erase", erasEverything = true });
        await unknownField.AssertProblem(HttpStatusCode.BadRequest);

        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.follow_ups WHERE customer_number = $1", customer));
    }

    [Fact]
    public async Task TheFeedCursorContinuesAfterAFollowUpWithoutRepeatingOrSkipping()
    {
        var customer = await CustomerKnownToBothPartners();
        (await _ops.PostJson("/follow-ups", new { customerNumber = customer, action = "restrict" })).EnsureSuccessStatusCode();
        var (_, cursor) = await PartnerFeedReader.ReadUntil(_cardPartner, e => IsFollowUpFor(e, customer));

        // Act: more for the same customer, after the cursor that stands on a follow-up.
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.contact.phone_number" },
                      purpose = "customer_obligations", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
            },
        })).EnsureSuccessStatusCode();
        var (next, _) = await PartnerFeedReader.ReadUntil(_cardPartner,
            e => e.GetProperty("customerNumber").GetString() == customer && e.GetProperty("type").GetString() == "disclosure", cursor);

        // Assert
        var mine = next.Where(e => e.GetProperty("customerNumber").GetString() == customer).ToList();
        Assert.Equal("disclosure", Assert.Single(mine).GetProperty("type").GetString());
        Assert.Equal(["user.contact.phone_number"], mine[0].GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
    }
}
