using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Disclosures;

/// <summary>A disclosure's legal ground must be its purpose's legal basis (Art 6(1)).</summary>
public sealed class DisclosureGroundTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _system = factory.Client(Roles.System);

    internal static object Disclosure(string recipient, string customer, string purpose, string ground, DateTimeOffset at, params string[] categories) =>
        new { recipient, customerNumber = customer, categories, purpose, legalGround = ground, disclosedAt = at, reference = "REF-1" };

    internal static async Task LinkAsync(PrivacyApiFactory factory, string purpose, string category, string recipient)
    {
        using var link = await factory.Client(Roles.Ops).PostJson("/registry/links", new { purpose, category, recipient });
        Assert.True(link.IsSuccessStatusCode || link.StatusCode == HttpStatusCode.Conflict, await link.Content.ReadAsStringAsync());
    }

    private Task<HttpResponseMessage> Disclose(params object[] disclosures) => _system.PostJson("/disclosures", new { disclosures });

    private Task<long> Disclosed(string customer) => factory.ScalarAsync("SELECT count(*) FROM privacy.disclosures WHERE customer_number = $1", customer);

    private static async Task AssertRefused(HttpResponseMessage response, params string[] fields)
    {
        var problem = await response.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(fields, problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
    }

    [Fact]
    public async Task ALegalGroundThatIsNotThePurposesLegalBasisRefusesTheWholeBatch()
    {
        var customer = TestSubjects.NewCustomer();
        var now = factory.Time.GetUtcNow();

        using var response = await Disclose(
            Disclosure("card-provider", customer, "customer_obligations", "contract", now, "user.name"),
            Disclosure("invoicing-partner", customer, "billing", "consent", now, "user.name"),
            Disclosure("invoicing-partner", customer, "billing", "legal_claims", now, "user.name"),
            Disclosure("invoicing-partner", customer, "billing", "legal_obligation", now, "user.name"));

        await AssertRefused(response, "disclosures[1].legalGround", "disclosures[2].legalGround", "disclosures[3].legalGround");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("contract", problem.GetProperty("errors").GetProperty("disclosures[1].legalGround")[0].GetString());
        Assert.DoesNotContain(customer, problem.GetRawText());
        Assert.Equal(0, await Disclosed(customer));
    }

    [Fact]
    public async Task LegalClaimsRestOnLegitimateInterestsAndNothingElse()
    {
        // Policy §Utlämning 4: to establish, exercise or defend legal claims, e.g. fraud prevention (Art 6(1)(f)).
        (await factory.Client(Roles.Ops).PostJson("/registry/purposes", new
        {
            key = "fraud_prevention", name = "Prevent fraud and assess credit risk", legalBasis = "legitimate_interests",
            dataSubjects = new[] { "customer" }, retention = "While the claim can be made.",
        })).EnsureSuccessStatusCode();
        await LinkAsync(factory, "fraud_prevention", "user.name", "card-provider");
        var customer = TestSubjects.NewCustomer();
        var now = factory.Time.GetUtcNow();

        using var onContract = await Disclose(Disclosure("card-provider", customer, "fraud_prevention", "contract", now, "user.name"));
        using var onConsent = await Disclose(Disclosure("card-provider", customer, "fraud_prevention", "consent", now, "user.name"));
        using var onClaims = await Disclose(Disclosure("card-provider", customer, "fraud_prevention", "legal_claims", now, "user.name"));

        await AssertRefused(onContract, "disclosures[0].legalGround");
        await AssertRefused(onConsent, "disclosures[0].legalGround");
        await onClaims.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(1, await Disclosed(customer));
    }
}
