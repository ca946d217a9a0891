using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Consent.ConsentRequests;

namespace Privacy.Api.Tests.Consent;

/// <summary>
/// A purpose declares whose consent it takes (the registry's dataSubjects) and on which channels it may be granted
/// (consentChannels); the consent recorder refuses anything else, but never makes a withdrawal harder than giving (Art 7(3)).
/// </summary>
public sealed class PurposeAudienceTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    private Task<long> Events(string subject) => factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1", subject);

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString());

    [Fact]
    public async Task AVisitorCannotConsentToAPurposeForCustomersOnly()
    {
        var visitor = NewVisitorId();

        using var marketing = await _frontend.PostJson("/consent/decisions",
            Decision("visitor", visitor, [("cookies.statistics", "granted"), ("third_party_marketing", "granted")]));
        using var publication = await _frontend.PostJson("/consent/decisions", Decision("visitor", visitor, [("publication", "denied")]));

        var problem = await marketing.AssertProblem(HttpStatusCode.BadRequest);
        Assert.Equal(["choices[1].purpose"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Contains("customer", problem.GetProperty("errors").GetProperty("choices[1].purpose")[0].GetString());
        Assert.Equal(["choices[0].purpose"], await publication.AssertValidationErrors());
        Assert.Equal(0, await Events(visitor));
        await _frontend.Record(Decision("customer", NewCustomerNumber(), [("third_party_marketing", "granted")])); // a customer may
    }

    [Fact]
    public async Task APurposeIsGrantedOnlyOnTheChannelsItListsButDeniedOnAny()
    {
        var customer = NewCustomerNumber();

        using var newsletterOnBanner = await _frontend.PostJson("/consent/decisions",
            Decision("customer", customer, [("newsletter", "granted")], channel: "banner"));
        using var marketingByEmailLink = await _frontend.PostJson("/consent/decisions",
            Decision("customer", customer, [("cookies.statistics", "granted"), ("third_party_marketing", "granted")], channel: "email_link"));
        using var cookiesOnSignupForm = await _frontend.PostJson("/consent/decisions",
            Decision("customer", customer, [("cookies.statistics", "granted")], channel: "signup_form"));

        var banner = await newsletterOnBanner.AssertProblem(HttpStatusCode.BadRequest);
        Assert.Equal(["choices[0].purpose"], banner.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Contains("'banner'", banner.GetProperty("errors").GetProperty("choices[0].purpose")[0].GetString());
        Assert.Equal(["choices[0].purpose", "choices[1].purpose"], (await marketingByEmailLink.AssertValidationErrors()).Order());
        Assert.Equal(["choices[0].purpose"], await cookiesOnSignupForm.AssertValidationErrors());
        Assert.Equal(0, await Events(customer));

        // Where the registry lists the channel, the same choices are recorded; a refusal is taken on any channel.
        await _frontend.Record(Decision("customer", customer, [("newsletter", "granted")], channel: "signup_form"));
        var denied = await _frontend.Record(Decision("customer", customer, [("newsletter", "denied"), ("third_party_marketing", "denied")], channel: "banner"));
        Assert.Equal("denied", denied.GetProperty("state").Purpose("newsletter").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AWithdrawalIsTakenOnAnyChannelWhereThePersonCanAct()
    {
        var customer = NewCustomerNumber();
        await _frontend.Record(Decision("customer", customer, [("third_party_marketing", "granted"), ("publication", "granted")]));
        await _frontend.Record(Decision("customer", customer, [("newsletter", "granted")], channel: "signup_form"));

        // third_party_marketing may not be granted through an e-mail link, nor the newsletter through staff… but withdrawn, always.
        foreach (var (purpose, channel) in new[] { ("third_party_marketing", "email_link"), ("newsletter", "ops"), ("publication", "banner") })
        {
            using var response = await _frontend.PostJson($"/consent/subjects/customer/{customer}/withdrawals",
                new { purposes = new[] { purpose }, channel });
            await response.ReadOk<JsonElement>(HttpStatusCode.Created);
        }

        var state = await _frontend.State("customer", customer);
        Assert.All(new[] { "third_party_marketing", "newsletter", "publication" },
            p => Assert.True(state.Purpose(p).GetProperty("withdrawn").GetBoolean()));
    }

    [Fact]
    public async Task AVisitorWithdrawsOnlyPurposesThatConcernVisitorsUnlessItGrantedOneAllTheSame()
    {
        var visitor = NewVisitorId();
        using var marketing = await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals",
            new { purposes = new[] { "cookies.statistics", "third_party_marketing" }, channel = "settings_page" });
        Assert.Equal(["purposes[1]"], await marketing.AssertValidationErrors());
        Assert.Equal(0, await Events(visitor));

        using var all = await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals", new { all = true, channel = "settings_page" });
        var withdrawn = await all.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(["cookies.preferences", "cookies.statistics", "newsletter"],
            withdrawn.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("purpose").GetString()));

        // A purpose that took visitors' consent when it was given, and no longer does: what was granted can still be withdrawn.
        (await _ops.PostJson("/registry/purposes", Reviews(["customer", "visitor"]))).EnsureSuccessStatusCode();
        var (granted, never) = (NewVisitorId(), NewVisitorId());
        await _frontend.Record(Decision("visitor", granted, [("reviews", "granted")]));
        (await _ops.PutAsJsonAsync("/registry/purposes/reviews", Reviews(["customer"]), HttpAssertions.Json)).EnsureSuccessStatusCode();

        using var refusedGrant = await _frontend.PostJson("/consent/decisions", Decision("visitor", NewVisitorId(), [("reviews", "granted")]));
        using var withdrawal = await _frontend.PostJson($"/consent/subjects/visitor/{granted}/withdrawals",
            new { purposes = new[] { "reviews" }, channel = "email_link" });
        using var nothingToWithdraw = await _frontend.PostJson($"/consent/subjects/visitor/{never}/withdrawals",
            new { purposes = new[] { "reviews" }, channel = "email_link" });

        Assert.Equal(["choices[0].purpose"], await refusedGrant.AssertValidationErrors());
        await withdrawal.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal("denied", (await _frontend.State("visitor", granted)).Purpose("reviews").GetProperty("status").GetString());
        Assert.Equal(["purposes[0]"], await nothingToWithdraw.AssertValidationErrors());
        (await _ops.PostAsync("/registry/purposes/reviews/retire", null)).EnsureSuccessStatusCode(); // the other tests' state lists stay as seeded
    }

    private static object Reviews(string[] subjects) => new
    {
        key = "reviews", name = "Publish reviews", legalBasis = "consent", dataSubjects = subjects, retention = "Until withdrawn.",
        consentChannels = new[] { "settings_page" },
    };

    [Fact]
    public async Task TheRegistryBannerAndConsentPurposesShowWhoseConsentEachTakesAndWhere()
    {
        var newsletter = await _ops.GetFromJsonAsync<JsonElement>("/registry/purposes/newsletter");
        var marketing = await _ops.GetFromJsonAsync<JsonElement>("/registry/purposes/third_party_marketing");
        var billing = await _ops.GetFromJsonAsync<JsonElement>("/registry/purposes/billing");
        var config = await factory.Client(Roles.Banner).GetFromJsonAsync<JsonElement>("/banner/v1/config");
        var consentPurposes = await _frontend.GetFromJsonAsync<JsonElement>("/consent/purposes");

        Assert.Equal(["signup_form", "settings_page", "email_link", "ops"], Strings(newsletter.GetProperty("consentChannels")));
        Assert.Equal(["customer", "visitor"], Strings(newsletter.GetProperty("dataSubjects")));
        Assert.Equal(["settings_page", "signup_form", "ops"], Strings(marketing.GetProperty("consentChannels")));
        Assert.Equal(["customer"], Strings(marketing.GetProperty("dataSubjects")));
        Assert.Empty(billing.GetProperty("consentChannels").EnumerateArray());
        Assert.All(config.GetProperty("purposes").EnumerateArray(), p =>
        {
            Assert.Equal(["banner", "settings_page", "ops"], Strings(p.GetProperty("consentChannels")));
            Assert.Contains("visitor", Strings(p.GetProperty("dataSubjects")));
        });
        var listed = consentPurposes.EnumerateArray().Single(p => p.GetProperty("key").GetString() == "publication");
        Assert.Equal(["customer"], Strings(listed.GetProperty("dataSubjects")));
        Assert.DoesNotContain("banner", Strings(listed.GetProperty("consentChannels")));
    }

    [Fact]
    public async Task OpsEditTheChannelsAndAConsentPurposeMustNameThem()
    {
        using var none = await _ops.PostJson("/registry/purposes", new
        {
            key = "surveys", name = "Customer surveys", legalBasis = "consent", dataSubjects = new[] { "customer" }, retention = "One year.",
        });
        using var onContract = await _ops.PostJson("/registry/purposes", new
        {
            key = "deliveries", name = "Deliveries", legalBasis = "contract", dataSubjects = new[] { "customer" }, retention = "One year.",
            consentChannels = new[] { "banner" },
        });
        using var repeated = await _ops.PostJson("/registry/purposes", new
        {
            key = "surveys", name = "Customer surveys", legalBasis = "consent", dataSubjects = new[] { "customer" }, retention = "One year.",
            consentChannels = new[] { "ops", "ops" },
        });
        using var created = await _ops.PostJson("/registry/purposes", new
        {
            key = "surveys", name = "Customer surveys", legalBasis = "consent", dataSubjects = new[] { "customer" }, retention = "One year.",
            consentChannels = new[] { "email_link", "ops" },
        });

        Assert.Equal(["consentChannels"], await none.AssertValidationErrors());
        Assert.Equal(["consentChannels"], await onContract.AssertValidationErrors());
        Assert.Equal(["consentChannels"], await repeated.AssertValidationErrors());
        var surveys = await created.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(["email_link", "ops"], Strings(surveys.GetProperty("consentChannels")));
        var customer = NewCustomerNumber();
        await _frontend.Record(Decision("customer", customer, [("surveys", "granted")], channel: "email_link"));
        using var onSettingsPage = await _frontend.PostJson("/consent/decisions", Decision("customer", customer, [("surveys", "granted")]));
        Assert.Equal(["choices[0].purpose"], await onSettingsPage.AssertValidationErrors());
        (await _ops.PostAsync("/registry/purposes/surveys/retire", null)).EnsureSuccessStatusCode();
    }
}
