using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

/// <summary>Art 21(2)–(3): an objection to direct marketing is absolute; to a purpose resting on consent it is the withdrawal (Art 7(3)).</summary>
public sealed class ObjectionTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Theory]
    [InlineData("newsletter")]
    [InlineData("third_party_marketing")]
    public async Task AnObjectionToDirectMarketingIsGrantedAtOnceAndEndsEveryMarketingConsent(string purpose)
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted"), ("third_party_marketing", "granted")]));

        // Act: the signed-in customer objects on the website, giving no grounds.
        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "objection", subject = new { customerNumber = customer }, purpose });
        var request = await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);

        // Assert: accepted and under way; both direct-marketing consents are no longer active, withdrawn on the rights-request channel.
        Assert.Equal("in_progress", request.Text("status"));
        var state = await _ops.State("customer", customer);
        Assert.Equal("denied", state.Purpose("newsletter").Text("status"));
        Assert.Equal("denied", state.Purpose("third_party_marketing").Text("status"));
        var history = await _ops.GetFromJsonAsync<JsonElement>($"/consent/subjects/customer/{customer}/history");
        Assert.Contains(history.GetProperty("events").EnumerateArray(), e => e.Text("kind") == "withdrawal" && e.Text("channel") == "rights_request");
        Assert.Contains(request.GetProperty("transitions").EnumerateArray(),
            t => t.Text("reason")!.StartsWith("Consent withdrawn for newsletter, third_party_marketing", StringComparison.Ordinal));
        // The systems that process for direct marketing are told to stop.
        Assert.Contains(request.Tasks(), t => t.Text("action") == "stop_processing");
    }

    [Fact]
    public async Task AnObjectionByLetterWaitsForTheIdentityThenWithdrawsTheConsent()
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        var id = (await factory.SubmitByOps(new { type = "objection", channel = "letter", subject = new { customerNumber = customer }, purpose = "newsletter" })).Text("id")!;

        // Nobody's consent changes on an unverified letter.
        Assert.Equal("granted", (await _ops.State("customer", customer)).Purpose("newsletter").Text("status"));

        await factory.Verify(id);
        Assert.Equal("denied", (await _ops.State("customer", customer)).Purpose("newsletter").Text("status"));
    }

    [Fact]
    public async Task AnObjectionToAConsentPurposeThatIsNotMarketingIsItsWithdrawal()
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(ConsentRequests.Decision("customer", customer, [("cookies.statistics", "granted"), ("newsletter", "granted")]));

        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "objection", subject = new { customerNumber = customer }, purpose = "cookies.statistics" });
        await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);

        var state = await _ops.State("customer", customer);
        Assert.Equal("denied", state.Purpose("cookies.statistics").Text("status"));
        Assert.Equal("granted", state.Purpose("newsletter").Text("status")); // not direct marketing: only the purpose objected to
    }

    [Fact]
    public async Task NoCallerRecordsConsentOnTheRightsRequestChannelItIsTheObjectionsOwn()
    {
        var customer = TestSubjects.NewCustomer();
        using var granted = await _ops.PostJson("/consent/decisions",
            ConsentRequests.Decision("customer", customer, [("newsletter", "granted")], channel: "rights_request"));
        Assert.Equal(["channel"], await granted.AssertValidationErrors());
        using var withdrawn = await factory.Client(Roles.Frontend).PostJson($"/consent/subjects/customer/{customer}/withdrawals",
            new { purposes = new[] { "newsletter" }, channel = "rights_request", language = "sv" });
        Assert.Equal(["channel"], await withdrawn.AssertValidationErrors());
        using var purpose = await _ops.PostJson("/registry/purposes", new
        {
            key = "sms_offers", name = "Offers by text message", legalBasis = "consent", dataSubjects = new[] { "customer" },
            retention = "Until consent is withdrawn.", consentChannels = new[] { "settings_page", "rights_request" }, directMarketing = true,
        });
        Assert.Equal(["consentChannels[1]"], await purpose.AssertValidationErrors());
    }

    [Fact]
    public async Task AnObjectionToDirectMarketingCannotBeRefusedOnCompellingGrounds()
    {
        var customer = TestSubjects.NewCustomer();
        var id = (await factory.SubmitByOps(new { type = "objection", channel = "email", subject = new { customerNumber = customer }, purpose = "newsletter" })).Text("id")!;

        using var refused = await _ops.PostJson($"/requests/{id}/rejection", new { ground = "compelling_legitimate_grounds", reason = "We like sending it" });

        var problem = await refused.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("Art 21(3)", problem.GetProperty("errors").GetProperty("ground")[0].GetString());
        Assert.Equal("received", (await factory.RequestById(id)).Text("status"));
    }
}
