using System.Net;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Consent.ConsentRequests;

namespace Privacy.Api.Tests.Consent;

public sealed class ConsentValidationTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);

    public static TheoryData<string, string> InvalidDecisions => new()
    {
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"horoscopes","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "choices[0].purpose" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"newsletter","status":"granted"}],"policyVersion":"1999-01-01","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "policyVersion" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[null],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "choices[0]" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[null,null],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "choices[1]" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "choices" },
        { """{"subject":{"type":"customer","id":"12-34<b>"},"choices":[{"purpose":"newsletter","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "subject.id" },
        { """{"subject":{"type":"visitor","id":"short"},"choices":[{"purpose":"newsletter","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "subject.id" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"newsletter","status":"never_asked"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "choices[0].status" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"cookies.necessary","status":"denied"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "choices[0].status" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"billing","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv"}""", "choices[0].purpose" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"newsletter","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n"},"language":"sv"}""", "notice.hash" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"newsletter","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t","hash":"0000000000000000000000000000000000000000000000000000000000000000"},"language":"sv"}""", "notice.hash" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"newsletter","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"de"}""", "language" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"newsletter","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner","notice":{"id":"n","text":"t"},"language":"sv","proof":{"ipAddress":"999.1.1.1"}}""", "proof.ipAddress" },
        { """{"subject":{"type":"customer","id":"1001"},"choices":[{"purpose":"newsletter","status":"granted"}],"policyVersion":"2022-02-08","channel":"carrier_pigeon","notice":{"id":"n","text":"t"},"language":"sv"}""", "$.channel" },
    };

    [Theory]
    [MemberData(nameof(InvalidDecisions))]
    public async Task AnInvalidDecisionNamesTheFieldAndWritesNothing(string body, string field)
    {
        var before = await Counts();

        using var response = await _frontend.PostAsync("/consent/decisions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Contains(field, await response.AssertValidationErrors());
        Assert.Equal(before, await Counts());
    }

    [Fact]
    public async Task AnOversizedNoticeTextIsRefusedNamingTheField()
    {
        var before = await Counts();

        using var response = await _frontend.PostJson("/consent/decisions",
            Decision("customer", "1001", [("newsletter", "granted")], noticeText: new string('x', 100_001)));

        Assert.Equal(["notice.text"], await response.AssertValidationErrors());
        Assert.Equal(before, await Counts());
    }

    [Fact]
    public async Task InvalidSubjectsInTheRouteAreNamed()
    {
        using var type = await _frontend.GetAsync("/consent/subjects/employee/1001");
        Assert.Equal(["subjectType"], await type.AssertValidationErrors());
        using var id = await _frontend.GetAsync("/consent/subjects/customer/not-a-number");
        Assert.Equal(["subjectId"], await id.AssertValidationErrors());
        using var withdraw = await _frontend.PostJson("/consent/subjects/customer/1001/withdrawals", new { purposes = new[] { "billing" }, channel = "banner" });
        Assert.Equal(["purposes[0]"], await withdraw.AssertValidationErrors());
        using var nothing = await _frontend.PostJson("/consent/subjects/customer/1001/withdrawals", new { channel = "banner" });
        Assert.Equal(["purposes"], await nothing.AssertValidationErrors());
    }

    [Fact]
    public async Task APartnerKeyReadsNoConsentData()
    {
        var partner = factory.Client(Roles.Partner);
        foreach (var url in new[]
                 {
                     "/consent/subjects/customer/1001", "/consent/subjects/customer/1001/history", $"/consent/receipts/{Guid.NewGuid()}",
                     "/consent/purposes", "/consent/policy-versions/current",
                 })
        {
            using var response = await partner.GetAsync(url);
            await response.AssertProblem(HttpStatusCode.Forbidden);
        }

        using var post = await partner.PostJson("/consent/decisions", Decision("customer", "1001", [("newsletter", "granted")]));
        await post.AssertProblem(HttpStatusCode.Forbidden);
    }

    private async Task<(long Events, long Choices, long Proofs, long Audit)> Counts()
    {
        Task<long> Count(string table) => factory.ScalarAsync($"SELECT count(*) FROM privacy.{table}");
        return (await Count("consent_events"), await Count("consent_choices"), await Count("consent_proofs"), await Count("audit_entries"));
    }
}
