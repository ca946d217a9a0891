using System.Net;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// An instant is an instant whatever offset it is written with (ISO 8601): bodies and query strings with +01:00 mean the same
/// as the UTC form and never answer 500 (PostgreSQL's timestamptz takes UTC; Npgsql refuses another offset).
/// </summary>
public sealed class InstantOffsetTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Fact]
    public async Task AnInstantWithAnOffsetMeansTheSameAsItsUtcFormInBodiesAndQueries()
    {
        var customer = TestSubjects.NewCustomer();
        using var clock = await factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey).PostJson("/retention/clock-events",
            new { events = new[] { new { customerNumber = customer, kind = "last_activity", occurredAt = "2026-11-20T10:00:00+01:00" } } });
        Assert.Equal(HttpStatusCode.OK, clock.StatusCode);
        await factory.Disclose(customer, "card-provider", "customer_obligations", "user.name");

        foreach (var (offset, utc) in new[]
                 {
                     ($"/disclosures?customerNumber={customer}&from=2026-01-01T01:00:00%2B01:00", $"/disclosures?customerNumber={customer}&from=2026-01-01T00:00:00Z"),
                     ("/retention/dry-run?at=2027-01-01T01:00:00%2B01:00", "/retention/dry-run?at=2027-01-01T00:00:00Z"),
                     ($"/retention/subjects/{customer}/schedule?at=2027-01-01T01:00:00%2B01:00", $"/retention/subjects/{customer}/schedule?at=2027-01-01T00:00:00Z"),
                 })
        {
            using var withOffset = await _ops.GetAsync(offset);
            var a = await withOffset.ReadOk<JsonElement>();
            using var inUtc = await _ops.GetAsync(utc);
            var b = await inUtc.ReadOk<JsonElement>();
            Assert.Equal(Normalised(b), Normalised(a));
        }
    }

    // The answer echoes the instant asked for; compared as instants.
    private static string Normalised(JsonElement answer) =>
        answer.ToString().Replace("2027-01-01T01:00:00+01:00", "2027-01-01T00:00:00+00:00", StringComparison.Ordinal);
}
