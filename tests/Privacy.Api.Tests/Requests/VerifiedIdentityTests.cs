using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// Art 11–12 and EDPB Guidelines 01/2022: an identifier nobody verified never decides whose data a request covers. The website's
/// sign-in verifies the customer number only; a request spans another customer number only when ops record why.
/// </summary>
public sealed class VerifiedIdentityTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    /// <summary>Discloses the name (and the personnummer, when given) of <paramref name="customer"/> to the invoicing partner.</summary>
    private async Task Disclose(string customer, string? personnummer) =>
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.name" }, purpose = "billing",
                      legalGround = "contract", disclosedAt = factory.Time.GetUtcNow().AddMinutes(-1), nationalIdentityNumber = personnummer },
            },
        })).EnsureSuccessStatusCode();

    private async Task<List<string>> FollowedUpCustomers(string requestId) =>
        [.. (await _ops.GetFromJsonAsync<JsonElement>("/follow-ups?limit=500")).GetProperty("items").EnumerateArray()
            .Where(f => f.GetProperty("reference").GetString() == $"rights-request:{requestId}")
            .Select(f => f.GetProperty("customerNumber").GetString()!).Order()];

    private static JsonElement Identifier(JsonElement request, string kind) =>
        request.GetProperty("identifiers").EnumerateArray().Single(i => i.GetProperty("kind").GetString() == kind);

    private static List<string> Covered(JsonElement request) =>
        [.. request.GetProperty("customers").EnumerateArray().Select(c => c.GetProperty("customerNumber").GetString()!).Order()];

    [Fact]
    public async Task AWebsiteRequestWithAnotherPersonsPersonnummerCoversOnlyTheSignedInCustomer()
    {
        var (signedIn, other, theirs) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer(), TestSubjects.NewPersonnummer());
        await Disclose(signedIn, null);
        await Disclose(other, theirs);

        // Act: a typo in the web form puts someone else's personnummer on the signed-in customer's erasure.
        using var submitted = await factory.WebsiteFor(signedIn).PostJson("/requests", new
        {
            type = "erasure", subject = new { customerNumber = signedIn, nationalIdentityNumber = theirs },
        });

        // Assert: only the signed-in customer's data goes; the personnummer stays unverified and matches nothing.
        var request = await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);
        var id = request.GetProperty("id").GetString()!;
        Assert.Equal([signedIn], Covered(request));
        Assert.False(Identifier(request, "national_identity_number").GetProperty("verified").GetBoolean());
        Assert.True(Identifier(request, "customer_number").GetProperty("verified").GetBoolean());
        Assert.Equal(JsonValueKind.Null, Identifier(request, "national_identity_number").GetProperty("matches").ValueKind); // the website never sees matches
        Assert.Equal([signedIn], await FollowedUpCustomers(id));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.follow_ups WHERE customer_number = $1", other));
        var tasks = await factory.SystemClient("accounting").GetFromJsonAsync<JsonElement>("/requests/tasks?system=accounting&limit=500");
        var task = Assert.Single(tasks.GetProperty("items").EnumerateArray(), t => t.GetProperty("requestId").GetString() == id);
        Assert.Equal([signedIn], task.GetProperty("customerNumbers").EnumerateArray().Select(c => c.GetString()));

        // An access request the same way reports the signed-in customer only.
        using var access = await factory.WebsiteFor(signedIn).PostJson("/requests", new
        {
            type = "access", subject = new { customerNumber = signedIn, nationalIdentityNumber = theirs },
        });
        var accessId = (await access.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString();
        var report = await _ops.GetFromJsonAsync<JsonElement>($"/requests/{accessId}/report");
        Assert.Equal([signedIn], report.GetProperty("customerNumbers").EnumerateArray().Select(c => c.GetString()));
        Assert.DoesNotContain(other, report.GetRawText());
    }

    [Fact]
    public async Task APersonnummerTheServiceHoldsForTheSignedInCustomerIsVerifiedByTheSignIn()
    {
        var (customer, own) = (TestSubjects.NewCustomer(), TestSubjects.NewPersonnummer());
        await Disclose(customer, own);

        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new
        {
            type = "access", subject = new { customerNumber = customer, nationalIdentityNumber = own },
        });

        var request = await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);
        var identifier = Identifier(request, "national_identity_number");
        Assert.True(identifier.GetProperty("verified").GetBoolean());
        Assert.Equal("Matches what the service holds for the signed-in customer", identifier.GetProperty("verifiedHow").GetString());
        Assert.Equal([customer], Covered(request));
    }

    [Fact]
    public async Task APersonnummerMatchingTwoCustomersDecidesNothingUntilOpsRecordWhichAndWhy()
    {
        var (first, second, shared) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer(), TestSubjects.NewPersonnummer());
        await Disclose(first, shared);
        await Disclose(second, shared);
        using var submitted = await _ops.PostJson("/requests", new { type = "erasure", channel = "letter", subject = new { nationalIdentityNumber = shared } });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;

        // Ops see what the identifier matches.
        var received = await _ops.GetFromJsonAsync<JsonElement>($"/requests/{id}");
        Assert.Equal(new[] { first, second }.Order(), Identifier(received, "national_identity_number").GetProperty("matches").EnumerateArray().Select(m => m.GetString()!).Order());

        // Act 1: verifying cannot pick one of the two.
        using var ambiguous = await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "Signed letter with a copy of the passport" });
        await ambiguous.AssertProblem(HttpStatusCode.Conflict);
        Assert.Empty(await FollowedUpCustomers(id));

        // Act 2: ops record the one account the letter is about, with the reason, then verify.
        using var noReason = await _ops.PostJson($"/requests/{id}/customers", new { customerNumber = first });
        Assert.Equal(["reason"], await noReason.AssertValidationErrors());
        using var added = await _ops.PostJson($"/requests/{id}/customers", new { customerNumber = first, reason = "The letter names this account" });
        added.EnsureSuccessStatusCode();
        using var verified = await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "Signed letter with a copy of the passport" });
        var request = await verified.ReadOk<JsonElement>();

        // Assert: only the recorded account is covered and told to recipients; the reason is kept and audited.
        Assert.Equal([first], Covered(request));
        Assert.Equal("The letter names this account", request.GetProperty("customers")[0].GetProperty("reason").GetString());
        Assert.Equal([first], await FollowedUpCustomers(id));
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.customer_added' AND entity_id = $1", id));

        // Once the work is out, a customer number ops match later gets tasks and follow-ups of its own, naming it alone; the first
        // customer's tasks still name only the first.
        using var late = await _ops.PostJson($"/requests/{id}/customers", new { customerNumber = second, reason = "Same person: a second account" });
        var widened = await late.ReadOk<JsonElement>();
        Assert.Equal(new[] { first, second }.Order(), Covered(widened).Order());
        Assert.Equal(new[] { first, second }.Order(), (await FollowedUpCustomers(id)).Order());
        var tasks = widened.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Contains(tasks, t => t.GetProperty("customerNumbers").EnumerateArray().Select(c => c.GetString()).SequenceEqual([second]));
        Assert.All(tasks, t => Assert.Single(t.GetProperty("customerNumbers").EnumerateArray()));
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.customer_added' AND entity_id = $1", id));
    }

    [Fact]
    public async Task OnlyTheIdentifiersOpsVerifiedDecideWhatTheRequestCovers()
    {
        var (claimed, holder, personnummer) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer(), TestSubjects.NewPersonnummer());
        await Disclose(claimed, null);
        await Disclose(holder, personnummer);
        using var submitted = await _ops.PostJson("/requests", new
        {
            type = "erasure", channel = "email", subject = new { customerNumber = claimed, nationalIdentityNumber = personnummer },
        });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;

        // Act: the check confirmed the personnummer only, not the customer number the e-mail claimed.
        using var verified = await _ops.PostJson($"/requests/{id}/identity-verification", new
        {
            method = "BankID signature", identifiers = new[] { "national_identity_number" },
        });

        var request = await verified.ReadOk<JsonElement>();
        Assert.Equal([holder], Covered(request));
        Assert.Equal("national_identity_number", request.GetProperty("customers")[0].GetProperty("matchedBy").GetString());
        Assert.False(Identifier(request, "customer_number").GetProperty("verified").GetBoolean());
        Assert.Equal([holder], await FollowedUpCustomers(id));
        var tasks = await factory.SystemClient("booking").GetFromJsonAsync<JsonElement>("/requests/tasks?system=booking&limit=500");
        var task = Assert.Single(tasks.GetProperty("items").EnumerateArray(), t => t.GetProperty("requestId").GetString() == id);
        Assert.Equal(holder, task.GetProperty("customerNumber").GetString()); // never the unverified one
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.follow_ups WHERE customer_number = $1", claimed));
    }

    [Fact]
    public async Task OpsConfirmAnIdentifierTheWebsiteSentAndTheConfirmationIsRecorded()
    {
        var customer = TestSubjects.NewCustomer();
        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new
        {
            type = "access", subject = new { customerNumber = customer, email = "anna@example.com" },
        });
        var website = await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);
        var id = website.GetProperty("id").GetString()!;
        Assert.False(Identifier(website, "email").GetProperty("verified").GetBoolean()); // the service holds no e-mail to match it against

        using var unknown = await _ops.PostJson($"/requests/{id}/identifiers/verification", new { identifiers = new[] { "national_identity_number" }, method = "x" });
        Assert.Equal(["identifiers[0]"], (await unknown.AssertProblem(HttpStatusCode.UnprocessableEntity)).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        using var confirmed = await _ops.PostJson($"/requests/{id}/identifiers/verification", new
        {
            identifiers = new[] { "email" }, method = "Confirmed from the account's phone number",
        });

        var email = Identifier(await confirmed.ReadOk<JsonElement>(), "email");
        Assert.True(email.GetProperty("verified").GetBoolean());
        Assert.Equal("test-ops", email.GetProperty("verifiedBy").GetString());
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.identifier_verified' AND entity_id = $1 AND details->>'kind' = 'Email'", id));
    }
}
