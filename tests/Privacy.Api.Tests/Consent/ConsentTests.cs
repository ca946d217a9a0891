using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Consent.ConsentRequests;

namespace Privacy.Api.Tests.Consent;

public sealed class ConsentTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Fact]
    public async Task AnsweringTheBannersPurposesStopsItAskingThoughTheNewsletterWasNeverAsked()
    {
        var visitor = NewVisitorId();

        var recorded = await _frontend.Record(Decision("visitor", visitor, [("cookies.preferences", "denied"), ("cookies.statistics", "granted")]));
        var other = NewVisitorId();
        await _frontend.Record(Decision("visitor", other, [("cookies.statistics", "granted")]));

        Assert.False(recorded.GetProperty("state").GetProperty("askAgain").GetBoolean());
        Assert.Equal("never_asked", recorded.GetProperty("state").Purpose("newsletter").GetProperty("status").GetString());
        Assert.True((await _frontend.State("visitor", other)).GetProperty("askAgain").GetBoolean()); // preferences still unanswered
    }

    [Fact]
    public async Task AFirstVisitorHasNeverBeenAskedAndTheBannerShouldShow()
    {
        var state = await _frontend.State("visitor", NewVisitorId());

        Assert.True(state.GetProperty("askAgain").GetBoolean());
        Assert.Equal(SeedVersion, state.GetProperty("currentPolicyVersion").GetString());
        Assert.Equal("never_asked", state.Purpose("cookies.statistics").GetProperty("status").GetString());
        Assert.False(state.Purpose("cookies.statistics").GetProperty("active").GetBoolean());
        var necessary = state.Purpose("cookies.necessary");
        Assert.True(necessary.GetProperty("alwaysOn").GetBoolean());
        Assert.True(necessary.GetProperty("active").GetBoolean());
        Assert.Equal(
            ["cookies.necessary", "cookies.preferences", "cookies.statistics", "newsletter", "publication", "third_party_marketing"],
            state.GetProperty("purposes").EnumerateArray().Select(p => p.GetProperty("purpose").GetString()));
    }

    [Fact]
    public async Task AcceptingStatisticsGrantsItUnderTheCurrentVersionAndTheStateHoldsOnReload()
    {
        var visitor = NewVisitorId();

        var recorded = await _frontend.Record(Decision("visitor", visitor,
            [("cookies.necessary", "granted"), ("cookies.statistics", "granted"), ("cookies.preferences", "denied")]));

        var statistics = recorded.GetProperty("state").Purpose("cookies.statistics");
        Assert.Equal("granted", statistics.GetProperty("status").GetString());
        Assert.True(statistics.GetProperty("active").GetBoolean());
        Assert.Equal(SeedVersion, statistics.GetProperty("policyVersion").GetString());
        Assert.Equal(factory.Time.GetUtcNow(), statistics.GetProperty("since").GetDateTimeOffset());
        Assert.Equal(recorded.GetProperty("receiptId").GetGuid(), statistics.GetProperty("receiptId").GetGuid());
        var reloaded = await _frontend.State("visitor", visitor);
        Assert.Equal("granted", reloaded.Purpose("cookies.statistics").GetProperty("status").GetString());
        Assert.Equal("denied", reloaded.Purpose("cookies.preferences").GetProperty("status").GetString());
        Assert.Equal("never_asked", reloaded.Purpose("newsletter").GetProperty("status").GetString());
        Assert.Equal(statistics.GetProperty("since").GetDateTimeOffset(), reloaded.Purpose("cookies.statistics").GetProperty("since").GetDateTimeOffset());
    }

    [Fact]
    public async Task WithdrawingDeniesThePurposeFromTheWithdrawalTime()
    {
        var customer = NewCustomerNumber();
        await _frontend.Record(Decision("customer", customer, [("newsletter", "granted"), ("cookies.statistics", "granted")]));
        factory.Time.Advance(TimeSpan.FromMinutes(5));

        using var response = await _frontend.PostJson($"/consent/subjects/customer/{customer}/withdrawals",
            new { purposes = new[] { "newsletter" }, channel = "settings_page" });

        var withdrawal = await response.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal("withdrawal", withdrawal.GetProperty("kind").GetString());
        var state = await _frontend.State("customer", customer);
        var newsletter = state.Purpose("newsletter");
        Assert.Equal("denied", newsletter.GetProperty("status").GetString());
        Assert.True(newsletter.GetProperty("withdrawn").GetBoolean());
        Assert.Equal(factory.Time.GetUtcNow(), newsletter.GetProperty("since").GetDateTimeOffset());
        Assert.Equal("granted", state.Purpose("cookies.statistics").GetProperty("status").GetString());
    }

    [Fact]
    public async Task WithdrawingAllDeniesEveryConsentPurposeButNotTheNecessaryOnes()
    {
        var customer = NewCustomerNumber();
        await _frontend.Record(Decision("customer", customer, [("newsletter", "granted"), ("cookies.statistics", "granted"), ("publication", "granted")]));

        using var response = await _frontend.PostJson($"/consent/subjects/customer/{customer}/withdrawals", new { all = true, channel = "email_link" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var state = await _frontend.State("customer", customer);
        Assert.All(state.GetProperty("purposes").EnumerateArray().Where(p => !p.GetProperty("alwaysOn").GetBoolean()),
            p => Assert.Equal("denied", p.GetProperty("status").GetString()));
        Assert.True(state.Purpose("cookies.necessary").GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task GlobalPrivacyControlDeniesSaleAndSharingPurposesWhateverTheBannerSaid()
    {
        var customer = NewCustomerNumber();
        var request = new HttpRequestMessage(HttpMethod.Post, "/consent/decisions")
        {
            Content = JsonContent.Create(Decision("customer", customer, [("third_party_marketing", "granted"), ("cookies.statistics", "granted")]),
                options: HttpAssertions.Json),
        };
        request.Headers.Add("Sec-GPC", "1");

        using var response = await _frontend.SendAsync(request);

        var recorded = await response.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.True(recorded.GetProperty("gpc").GetBoolean());
        var marketing = recorded.GetProperty("choices").EnumerateArray().Single(c => c.GetProperty("purpose").GetString() == "third_party_marketing");
        Assert.Equal("granted", marketing.GetProperty("requested").GetString());
        Assert.Equal("denied", marketing.GetProperty("recorded").GetString());
        Assert.True(marketing.GetProperty("deniedByGpc").GetBoolean());
        var state = await _frontend.State("customer", customer);
        Assert.Equal("denied", state.Purpose("third_party_marketing").GetProperty("status").GetString());
        Assert.Equal("granted", state.Purpose("cookies.statistics").GetProperty("status").GetString()); // GPC is not a general withdrawal
        var history = await _ops.GetFromJsonAsync<JsonElement>($"/consent/subjects/customer/{customer}/history");
        Assert.Equal("header", history.GetProperty("events")[0].GetProperty("gpcSource").GetString());
    }

    [Fact]
    public async Task OnlyTheExactValueOneIsAGpcSignalAndTheFrontendFlagCountsToo()
    {
        var headerNotOne = new HttpRequestMessage(HttpMethod.Post, "/consent/decisions")
        {
            Content = JsonContent.Create(Decision("customer", NewCustomerNumber(), [("third_party_marketing", "granted")]), options: HttpAssertions.Json),
        };
        headerNotOne.Headers.Add("Sec-GPC", "true");
        var notSignal = await (await _frontend.SendAsync(headerNotOne)).ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.False(notSignal.GetProperty("gpc").GetBoolean());

        var flagged = await _frontend.Record(Decision("customer", NewCustomerNumber(), [("third_party_marketing", "granted")], gpc: true));
        Assert.True(flagged.GetProperty("gpc").GetBoolean());
        Assert.Equal("denied", flagged.GetProperty("state").Purpose("third_party_marketing").GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheSameIdempotencyKeyTwiceRecordsOneEvent()
    {
        var visitor = NewVisitorId();
        HttpRequestMessage Post()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/consent/decisions")
            {
                Content = JsonContent.Create(Decision("visitor", visitor, [("cookies.statistics", "granted")]), options: HttpAssertions.Json),
            };
            request.Headers.Add("Idempotency-Key", $"banner-{visitor}");
            return request;
        }

        var first = await (await _frontend.SendAsync(Post())).ReadOk<JsonElement>(HttpStatusCode.Created);
        factory.Time.Advance(TimeSpan.FromSeconds(3));
        using var retry = await _frontend.SendAsync(Post());
        var second = await retry.ReadOk<JsonElement>(HttpStatusCode.Created);

        Assert.Equal(first.GetProperty("receiptId").GetGuid(), second.GetProperty("receiptId").GetGuid());
        Assert.Equal(1L, await factory.ScalarAsync($"SELECT count(*) FROM privacy.consent_events WHERE subject_id = '{visitor}'"));
    }

    [Fact]
    public async Task ALinkedVisitorsEventsBecomePartOfTheCustomersStateAndHistory()
    {
        var visitor = NewVisitorId();
        var customer = NewCustomerNumber();
        await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        await _frontend.Record(Decision("customer", customer, [("newsletter", "granted")]));

        using var link = await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/link", new { customerNumber = customer });
        Assert.Equal(HttpStatusCode.OK, link.StatusCode);

        var state = await _frontend.State("customer", customer);
        Assert.Equal("granted", state.Purpose("cookies.statistics").GetProperty("status").GetString());
        Assert.Equal("granted", state.Purpose("newsletter").GetProperty("status").GetString());
        var history = await _ops.GetFromJsonAsync<JsonElement>($"/consent/subjects/customer/{customer}/history");
        var events = history.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(["visitor", "customer"], events.Select(e => e.GetProperty("subject").GetProperty("type").GetString()));
        Assert.Equal(visitor, events[0].GetProperty("subject").GetProperty("id").GetString()); // nothing rewritten
        using var relink = await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/link", new { customerNumber = NewCustomerNumber() });
        await relink.AssertProblem(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task TheReceiptCarriesTheConsentReceiptFieldsConsistentWithTheEvent()
    {
        var customer = NewCustomerNumber();
        var recorded = await _frontend.Record(Decision("customer", customer, [("newsletter", "granted"), ("cookies.preferences", "denied")]));
        var receiptId = recorded.GetProperty("receiptId").GetGuid();

        var receipt = await _frontend.GetFromJsonAsync<JsonElement>($"/consent/receipts/{receiptId}");

        Assert.Equal("KI-CR-v1.1.0", receipt.GetProperty("version").GetString());
        Assert.Equal("SE", receipt.GetProperty("jurisdiction").GetString());
        Assert.Equal(receiptId, receipt.GetProperty("consentReceiptId").GetGuid());
        Assert.Equal(recorded.GetProperty("occurredAt").GetDateTimeOffset().ToUnixTimeSeconds(), receipt.GetProperty("consentTimestamp").GetInt64());
        Assert.Equal("settings_page", receipt.GetProperty("collectionMethod").GetString());
        Assert.Equal($"customer:{customer}", receipt.GetProperty("piiPrincipalId").GetString());
        Assert.Equal(SeedVersion, receipt.GetProperty("policyVersion").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(BannerText))), receipt.GetProperty("noticeHash").GetString());
        var controller = receipt.GetProperty("piiControllers")[0];
        Assert.Equal("Smultronsites AB", controller.GetProperty("piiController").GetString());
        Assert.Equal("hello@smultronsites.com", controller.GetProperty("email").GetString());
        var purposes = receipt.GetProperty("services")[0].GetProperty("purposes").EnumerateArray()
            .ToDictionary(p => p.GetProperty("purpose").GetString()!);
        Assert.Equal("granted", purposes["newsletter"].GetProperty("status").GetString());
        Assert.Equal("consent", purposes["newsletter"].GetProperty("legalBasis").GetString());
        Assert.Contains("user.contact.email", purposes["newsletter"].GetProperty("piiCategory").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("denied", purposes["cookies.preferences"].GetProperty("status").GetString());
        using var missing = await _frontend.GetAsync($"/consent/receipts/{Guid.NewGuid()}");
        await missing.AssertProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheReceiptIsAlsoOneIso27560DpvConsentRecordPerPurposeInJsonLd()
    {
        var customer = NewCustomerNumber();
        var recorded = await _frontend.Record(Decision("customer", customer, [("newsletter", "granted"), ("cookies.preferences", "denied")]));
        var receiptId = recorded.GetProperty("receiptId").GetGuid();

        var records = await JsonLd(receiptId);

        Assert.Equal("https://w3id.org/dpv#", records.GetProperty("@context").GetProperty("dpv").GetString());
        var graph = records.GetProperty("@graph").EnumerateArray().ToDictionary(r => r.GetProperty("dpv:hasProcess").GetProperty("dpv:hasPurpose").GetProperty("@id").GetString()!);
        Assert.Equal(["smc:purpose/cookies.preferences", "smc:purpose/newsletter"], graph.Keys.Order().ToArray());
        var newsletter = graph["smc:purpose/newsletter"];
        Assert.Equal("dpv:ConsentRecord", newsletter.GetProperty("@type").GetString());
        Assert.Equal("https://w3id.org/dpv/schema/dpv-27560#record", newsletter.GetProperty("dct:conformsTo").GetString());
        Assert.Equal("dpv:ConsentGiven", newsletter.GetProperty("dpv:hasConsentStatus").GetString());
        Assert.Equal("eu-gdpr:A6-1-a", newsletter.GetProperty("dpv:hasLegalBasis").GetString());
        Assert.Equal($"smc:subject/customer:{customer}", newsletter.GetProperty("dpv:hasDataSubject").GetProperty("@id").GetString());
        Assert.Equal(recorded.GetProperty("occurredAt").GetDateTimeOffset(), newsletter.GetProperty("dpv:isIndicatedAtTime").GetDateTimeOffset());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(BannerText))),
            newsletter.GetProperty("dpv:hasNotice").GetProperty("smc:noticeSha256").GetString());
        Assert.Equal(SeedVersion, newsletter.GetProperty("dpv:hasNotice").GetProperty("dpv:hasPolicy").GetProperty("dct:hasVersion").GetString());
        Assert.Contains("smc:category/user.contact.email", newsletter.GetProperty("dpv:hasProcess").GetProperty("dpv:hasPersonalData").EnumerateArray()
            .Select(c => c.GetProperty("@id").GetString()));
        Assert.Equal("dpv:ConsentRefused", graph["smc:purpose/cookies.preferences"].GetProperty("dpv:hasConsentStatus").GetString());

        using var withdrawal = await _frontend.PostJson($"/consent/subjects/customer/{customer}/withdrawals",
            new { purposes = new[] { "newsletter" }, channel = "settings_page" });
        var withdrawn = await JsonLd((await withdrawal.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("receiptId").GetGuid());
        Assert.Equal("dpv:ConsentWithdrawn", withdrawn.GetProperty("@graph")[0].GetProperty("dpv:hasConsentStatus").GetString());

        var kantara = await _frontend.GetFromJsonAsync<JsonElement>($"/consent/receipts/{receiptId}"); // the Kantara form stays the default
        Assert.Equal("KI-CR-v1.1.0", kantara.GetProperty("version").GetString());
        Assert.False(kantara.TryGetProperty("kind", out _));
    }

    private async Task<JsonElement> JsonLd(Guid receiptId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/consent/receipts/{receiptId}");
        request.Headers.Accept.ParseAdd("application/ld+json");
        using var response = await _frontend.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task TheProofKeepsTheIpAddressApartWithAKeyedHashAndTheEventsCannotBeChanged()
    {
        var visitor = NewVisitorId();
        await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));

        await using var connection = await factory.OpenDatabaseAsync();
        await using var read = new NpgsqlCommand(
            "SELECT host(p.ip_address), p.ip_address_hash, p.user_agent FROM privacy.consent_proofs p JOIN privacy.consent_events e ON e.id = p.event_id WHERE e.subject_id = $1",
            connection);
        read.Parameters.AddWithValue(visitor);
        await using (var row = await read.ExecuteReaderAsync())
        {
            Assert.True(await row.ReadAsync());
            Assert.Equal("203.0.113.7", row.GetString(0));
            Assert.Matches("^[0-9a-f]{64}$", row.GetString(1));
            Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(IPAddressBytes("203.0.113.7"))), row.GetString(1)); // keyed, not a plain hash
        }

        // Retention may erase the clear values; nothing may change the event itself.
        await using var erase = new NpgsqlCommand(
            "UPDATE privacy.consent_proofs SET ip_address = NULL, user_agent = NULL, erased_at = now() WHERE event_id = (SELECT id FROM privacy.consent_events WHERE subject_id = $1)",
            connection);
        erase.Parameters.AddWithValue(visitor);
        Assert.Equal(1, await erase.ExecuteNonQueryAsync());
        await using var change = new NpgsqlCommand("UPDATE privacy.consent_choices SET granted = false WHERE subject_id = $1", connection);
        change.Parameters.AddWithValue(visitor);
        await Assert.ThrowsAsync<PostgresException>(() => change.ExecuteNonQueryAsync());
        Assert.Equal("granted", (await _frontend.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("status").GetString());
    }

    [Fact]
    public async Task WithdrawingAConsentTellsTheRecipientsGivenDataUnderItInTheSameTransaction()
    {
        (await _ops.PostJson("/registry/recipients", new { key = "mail-partner", name = "Mail partner", kind = "processor", country = "SE" }))
            .EnsureSuccessStatusCode();
        (await _ops.PostJson("/registry/links", new { purpose = "newsletter", category = "user.contact.email", recipient = "mail-partner" }))
            .EnsureSuccessStatusCode();
        var (customer, untold) = (NewCustomerNumber(), NewCustomerNumber());
        foreach (var subject in new[] { customer, untold })
        {
            await _frontend.Record(Decision("customer", subject, [("newsletter", "granted")]));
        }

        // Only the first customer's address was given to the mail partner.
        (await factory.Client(Privacy.Api.Platform.Security.Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "mail-partner", customerNumber = customer, categories = new[] { "user.contact.email" }, purpose = "newsletter",
                      legalGround = "consent", disclosedAt = factory.Time.GetUtcNow() },
            },
        })).EnsureSuccessStatusCode();
        Assert.Equal(0L, await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE recipient_key = 'mail-partner'"));

        foreach (var subject in new[] { customer, untold })
        {
            using var response = await _frontend.PostJson($"/consent/subjects/customer/{subject}/withdrawals",
                new { purposes = new[] { "newsletter" }, channel = "email_link" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        await using var connection = await factory.OpenDatabaseAsync();
        await using var read = new NpgsqlCommand(
            "SELECT event_type, payload::text FROM privacy.outbox_messages WHERE recipient_key = 'mail-partner'", connection);
        await using var row = await read.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        Assert.Equal("follow_up.consent_withdrawn", row.GetString(0));
        var data = JsonDocument.Parse(row.GetString(1)).RootElement.GetProperty("data");
        Assert.Equal(customer, data.GetProperty("customerNumber").GetString());
        Assert.Equal("consent_withdrawn", data.GetProperty("action").GetString());
        Assert.Equal(["newsletter"], data.GetProperty("purposes").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["user.contact.email"], data.GetProperty("categories").EnumerateArray().Select(p => p.GetString()));
        Assert.False(await row.ReadAsync()); // telling it about the other customer would itself disclose data
        Assert.Equal(1L, await factory.ScalarAsync("SELECT count(*) FROM privacy.follow_ups WHERE recipient_key = 'mail-partner' AND action = 'ConsentWithdrawn'"));
    }

    private static byte[] IPAddressBytes(string ip) => System.Net.IPAddress.Parse(ip).GetAddressBytes();
}
