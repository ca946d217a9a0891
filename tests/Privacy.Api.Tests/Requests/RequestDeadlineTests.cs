using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Requests;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

public sealed class RequestDeadlineTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>
    /// Sets the clock, back as well as forward: each test of this class picks the dates its rule needs (weekdays, holidays), and
    /// xunit runs them in any order. (SetUtcNow only moves forward.)
    /// </summary>
    private void ClockAt(DateTimeOffset instant) => factory.Time.AdjustTime(instant);

    private async Task<JsonElement> SubmitByLetter(object subject) =>
        await (await _ops.PostJson("/requests", new { type = "access", channel = "letter", subject })).ReadOk<JsonElement>(HttpStatusCode.Created);

    private async Task<JsonElement> SubmitLetterReceivedAt(DateTimeOffset receivedAt) =>
        await (await _ops.PostJson("/requests", new { type = "access", channel = "letter", subject = new { customerNumber = TestSubjects.NewCustomer() }, receivedAt }))
            .ReadOk<JsonElement>(HttpStatusCode.Created);

    [Fact]
    public async Task TheDeadlineFollowsTheCalendarCanBeExtendedOnceByAtMostTwoMonthsAndOverdueRequestsAreListed()
    {
        ClockAt(new DateTimeOffset(2027, 1, 31, 10, 0, 0, TimeSpan.Zero));
        var submitted = await SubmitByLetter(new { customerNumber = "4400123" });
        var id = submitted.GetProperty("id").GetString();
        Assert.Equal("received", submitted.GetProperty("status").GetString());
        // 28 February 2027 is a Sunday: due at the end of Monday 1 March, Stockholm time.
        Assert.Equal("2027-03-01", submitted.GetProperty("dueDate").GetString());
        Assert.Equal(new DateTimeOffset(2027, 3, 1, 23, 0, 0, TimeSpan.Zero), submitted.GetProperty("dueAt").GetDateTimeOffset());

        using var tooLong = await _ops.PostJson($"/requests/{id}/extension", new { months = 3, reason = "Large request" });
        Assert.Equal(["months"], await tooLong.AssertValidationErrors());
        using var extended = await _ops.PostJson($"/requests/{id}/extension", new { months = 2, reason = "Twelve years of bookings in three systems" });
        var body = await extended.ReadOk<JsonElement>();
        // Three months from the day of receipt: 30 April 2027, a Friday, ends at 00:00 CEST on 1 May.
        Assert.Equal("2027-04-30", body.GetProperty("extendedDueDate").GetString());
        Assert.Equal(new DateTimeOffset(2027, 4, 30, 22, 0, 0, TimeSpan.Zero), body.GetProperty("extendedDueAt").GetDateTimeOffset());
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.extended' AND entity_id = $1", id!));
        using var again = await _ops.PostJson($"/requests/{id}/extension", new { months = 1, reason = "Still more" });
        await again.AssertProblem(HttpStatusCode.Conflict);
        // The requester is told of the extension and its reason (Art 12(3)), through the e-mail system.
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.outbox_messages WHERE recipient_key = 'email' AND event_type = 'rights_request.extended' AND payload->'data'->>'requestId' = $1", id!));

        ClockAt(new DateTimeOffset(2027, 4, 24, 10, 0, 0, TimeSpan.Zero));
        Assert.Contains(id, await Listed("due_soon"));
        Assert.DoesNotContain(id, await Listed("overdue"));
        ClockAt(new DateTimeOffset(2027, 4, 30, 22, 0, 1, TimeSpan.Zero));
        Assert.Contains(id, await Listed("overdue"));
        Assert.Contains(id, await Listed("open"));

        // Paged one at a time, every open request comes once.
        var all = await Listed("open");
        var paged = new List<string?>();
        for (string? after = null; ;)
        {
            var page = await _ops.GetFromJsonAsync<JsonElement>($"/requests?due=open&limit=1{(after is null ? "" : $"&after={after}")}");
            paged.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
            after = page.GetProperty("next").GetString();
            if (after is null)
            {
                break;
            }
        }

        Assert.Equal(all, paged);
    }

    [Theory]
    // 28 February 2026 is a Saturday: the end of Monday 2 March; keyed in three days later, it still counts from 31 January.
    [InlineData("2026-01-31T10:00:00Z", "2026-02-03T09:00:00Z", "2026-01-31", "2026-03-02", "2026-03-02T23:00:00Z")]
    // 2028 is a leap year: 29 February, a Tuesday.
    [InlineData("2028-01-31T10:00:00Z", "2028-02-01T09:00:00Z", "2028-01-31", "2028-02-29", "2028-02-29T23:00:00Z")]
    // 26 March 2027 is långfredagen, then påskdagen (the day summer time starts) and annandag påsk: Tuesday 30 March.
    [InlineData("2027-02-26T15:00:00+01:00", "2027-03-01T08:00:00Z", "2027-02-26", "2027-03-30", "2027-03-30T22:00:00Z")]
    // 24 December 2026 is julafton, then juldagen and the weekend: Monday 28 December.
    [InlineData("2026-11-24T10:00:00Z", "2026-11-25T09:00:00Z", "2026-11-24", "2026-12-28", "2026-12-28T23:00:00Z")]
    // 00:30 in Stockholm on 15 September is 22:30 UTC on the 14th: the Swedish day counts.
    [InlineData("2026-09-15T00:30:00+02:00", "2026-09-16T09:00:00Z", "2026-09-15", "2026-10-15", "2026-10-15T22:00:00Z")]
    public async Task OpsEnterTheDayALetterArrivedAndItsDeadlineCountsFromThatSwedishDay(
        string received, string keyed, string receivedDay, string dueDate, string dueAt)
    {
        ClockAt(Instant(keyed));

        // Act
        var submitted = await SubmitLetterReceivedAt(Instant(received));

        // Assert
        var id = submitted.GetProperty("id").GetString()!;
        Assert.Equal(Instant(received), submitted.GetProperty("receivedAt").GetDateTimeOffset());
        Assert.Equal(dueDate, submitted.GetProperty("dueDate").GetString());
        Assert.Equal(Instant(dueAt), submitted.GetProperty("dueAt").GetDateTimeOffset());
        var first = submitted.GetProperty("transitions")[0];
        Assert.Equal($"via letter, received {receivedDay}", first.GetProperty("reason").GetString());
        Assert.Equal(Instant(keyed), first.GetProperty("at").GetDateTimeOffset());
        // The audit trail keeps both: when it arrived (the deadline's start) and when ops keyed it in.
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.received' AND entity_id = $1 " +
            "AND (details->>'receivedAt')::timestamptz = $2 AND (details->>'keyedAt')::timestamptz = $3",
            id, Instant(received).ToUniversalTime(), Instant(keyed).ToUniversalTime()));
        var listed = (await _ops.GetFromJsonAsync<JsonElement>("/requests?due=open&limit=1000")).GetProperty("items").EnumerateArray()
            .Single(r => r.GetProperty("id").GetString() == id);
        Assert.Equal(dueDate, listed.GetProperty("dueDate").GetString());
        Assert.Equal(Instant(dueAt), listed.GetProperty("dueAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task AReceivedDateInTheFutureOrMoreThanAYearBackIsRefusedNamingTheFieldAndNothingIsWritten()
    {
        var now = new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
        ClockAt(now);
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests");

        using var future = await _ops.PostJson("/requests",
            new { type = "access", channel = "letter", subject = new { customerNumber = TestSubjects.NewCustomer() }, receivedAt = now.AddMinutes(1) });
        using var tooOld = await _ops.PostJson("/requests",
            new { type = "access", channel = "letter", subject = new { customerNumber = TestSubjects.NewCustomer() }, receivedAt = now.AddDays(-367) });

        Assert.Equal(["receivedAt"], await future.AssertValidationErrors());
        Assert.Equal(["receivedAt"], await tooOld.AssertValidationErrors());
        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests"));
        // A letter that came in this morning, or eleven months ago, is taken.
        Assert.Equal("via letter, received 2026-11-25",
            (await SubmitLetterReceivedAt(now.AddHours(-1))).GetProperty("transitions")[0].GetProperty("reason").GetString());
        Assert.Equal(now.AddDays(-330), (await SubmitLetterReceivedAt(now.AddDays(-330))).GetProperty("receivedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task TheWebsiteCannotSetTheReceivedDate()
    {
        ClockAt(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        var customer = TestSubjects.NewCustomer();

        using var response = await factory.WebsiteFor(customer).PostJson("/requests",
            new { type = "access", subject = new { customerNumber = customer }, receivedAt = factory.Time.GetUtcNow().AddDays(-10) });

        Assert.Equal(["receivedAt"], await response.AssertValidationErrors());
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests WHERE customer_number = $1", customer));
    }

    [Fact]
    public async Task AnExtensionIsAcceptedUntilTheFirstMonthEndsAndRefusedAfterNamingTheDayItEnded()
    {
        // Received 31 January 2026: the first month ends with Monday 2 March, at 00:00 CET on the 3rd (23:00 UTC on the 2nd).
        ClockAt(Instant("2026-02-02T09:00:00Z"));
        var inTime = (await SubmitLetterReceivedAt(Instant("2026-01-31T10:00:00Z"))).GetProperty("id").GetString();
        var late = (await SubmitLetterReceivedAt(Instant("2026-01-31T10:00:00Z"))).GetProperty("id").GetString();

        // Act
        ClockAt(Instant("2026-03-02T22:59:59Z")); // 23:59:59 on 2 March in Stockholm
        using var accepted = await _ops.PostJson($"/requests/{inTime}/extension", new { months = 2, reason = "Twelve years of bookings in three systems" });
        ClockAt(Instant("2026-03-02T23:00:01Z")); // just after it ended
        using var refused = await _ops.PostJson($"/requests/{late}/extension", new { months = 2, reason = "Twelve years of bookings in three systems" });

        // Assert
        var extended = await accepted.ReadOk<JsonElement>();
        Assert.Equal("2026-04-30", extended.GetProperty("extendedDueDate").GetString()); // three months from 31 January
        Assert.Equal(Instant("2026-04-30T22:00:00Z"), extended.GetProperty("extendedDueAt").GetDateTimeOffset());
        Assert.StartsWith("extended by 2 month(s) to 2026-04-30:", extended.GetProperty("transitions").EnumerateArray().Last().GetProperty("reason").GetString());
        var problem = await refused.AssertProblem(HttpStatusCode.Conflict);
        Assert.Equal("Art 12(3): an extension must be decided and told within the first month, which ended 2026-03-02.",
            problem.GetProperty("detail").GetString());
        var unchanged = await _ops.GetFromJsonAsync<JsonElement>($"/requests/{late}");
        Assert.Equal(JsonValueKind.Null, unchanged.GetProperty("extendedDueAt").ValueKind);
        Assert.Equal(0, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.outbox_messages WHERE event_type = 'rights_request.extended' AND payload->'data'->>'requestId' = $1", late!));
    }

    [Fact]
    public async Task ARequestIsNotOverdueDuringItsDueDayInStockholmAndIsOverdueRightAfterItEnds()
    {
        // Received 31 January 2028: due with Tuesday 29 February, which ends at 00:00 CET on 1 March (23:00 UTC on the 29th).
        ClockAt(Instant("2028-02-01T09:00:00Z"));
        var id = (await SubmitLetterReceivedAt(Instant("2028-01-31T10:00:00Z"))).GetProperty("id").GetString();

        ClockAt(Instant("2028-02-29T22:59:59Z")); // 23:59:59 on its due day in Stockholm
        Assert.DoesNotContain(id, await Listed("overdue"));
        Assert.Contains(id, await Listed("due_soon"));
        Assert.False(Summary(await ListedItems("open"), id).GetProperty("overdue").GetBoolean());

        ClockAt(Instant("2028-02-29T23:00:01Z"));
        Assert.Contains(id, await Listed("overdue"));
        var summary = Summary(await ListedItems("overdue"), id);
        Assert.True(summary.GetProperty("overdue").GetBoolean());
        Assert.Equal("2028-02-29", summary.GetProperty("dueDate").GetString());
    }

    private static JsonElement Summary(IEnumerable<JsonElement> items, string? id) => items.Single(r => r.GetProperty("id").GetString() == id);

    private async Task<List<JsonElement>> ListedItems(string due) =>
        [.. (await _ops.GetFromJsonAsync<JsonElement>($"/requests?due={due}&limit=1000")).GetProperty("items").EnumerateArray()];

    private async Task<List<string?>> Listed(string due)
    {
        var page = await _ops.GetFromJsonAsync<JsonElement>($"/requests?due={due}&limit=1000");
        return [.. page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetString())];
    }

    [Fact]
    public async Task AnUnconfirmedIdentityIsRejectedWithTheReasonAndNothingGoesOut()
    {
        var id = (await SubmitByLetter(new { nationalIdentityNumber = "811218-9876", email = "someone@example.com" })).GetProperty("id").GetString();

        using var rejected = await _ops.PostJson($"/requests/{id}/rejection", new { ground = "identity_not_confirmed", reason = "No answer to two requests for identification" });

        var body = await rejected.ReadOk<JsonElement>();
        Assert.Equal("rejected", body.GetProperty("status").GetString());
        Assert.Contains("artikel 12.6", body.GetProperty("resolution").GetString()); // the ground as the requester reads it, in Swedish
        Assert.EndsWith("No answer to two requests for identification", body.GetProperty("resolution").GetString());
        Assert.Empty(body.GetProperty("tasks").EnumerateArray());
        Assert.Equal(["received", "rejected"], body.GetProperty("transitions").EnumerateArray().Select(t => t.GetProperty("to").GetString()));
        using var verify = await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "too late" });
        await verify.AssertProblem(HttpStatusCode.Conflict);
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE entity_type = 'rights_request' AND entity_id = $1", id!));
    }

    [Theory]
    [InlineData("811218-9875")] // wrong check digit
    [InlineData("811318-9876")] // month 13
    [InlineData("19000229-1234")] // 1900 was not a leap year
    public async Task AnInvalidNationalIdentityNumberIsRefusedNamingTheFieldAndNothingIsWritten(string number)
    {
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests");

        using var response = await _ops.PostJson("/requests", new { type = "erasure", channel = "letter", subject = new { nationalIdentityNumber = number } });

        Assert.Equal(["subject.nationalIdentityNumber"], await response.AssertValidationErrors());
        Assert.DoesNotContain(number, await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests"));
    }

    [Fact]
    public async Task InvalidRequestsNameTheirFieldsAndWriteNothing()
    {
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests");

        using var unknownType = await _ops.PostJson("/requests", new { type = "forget_me", channel = "letter", subject = new { customerNumber = "100" } });
        var problem = await unknownType.AssertProblem(HttpStatusCode.BadRequest);
        Assert.Contains("type", problem.ToString());
        using var noChanges = await _ops.PostJson("/requests", new { type = "rectification", channel = "email", subject = new { customerNumber = "100" } });
        Assert.Equal(["changes"], await noChanges.AssertValidationErrors());
        using var noSubject = await _ops.PostJson("/requests", new { type = "access", channel = "email", subject = new { } });
        Assert.Equal(["subject"], await noSubject.AssertValidationErrors());
        using var noChannel = await _ops.PostJson("/requests", new { type = "access", subject = new { customerNumber = "100" } });
        Assert.Equal(["channel"], await noChannel.AssertValidationErrors());
        // Processing under a contract carries no right to object (Art 21(1) covers legitimate interests and public tasks).
        using var contractPurpose = await _ops.PostJson("/requests", new { type = "objection", channel = "email", subject = new { customerNumber = "100" }, purpose = "billing" });
        Assert.Contains("Art 6(1)(b)", (await contractPurpose.AssertProblem(HttpStatusCode.UnprocessableEntity)).GetProperty("detail").GetString());
        using var websiteWithoutCustomer = await factory.WebsiteFor(TestSubjects.NewCustomer()).PostJson("/requests", new { type = "access", subject = new { email = "a@example.com" } });
        Assert.Equal(["subject.customerNumber"], await websiteWithoutCustomer.AssertValidationErrors());

        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests"));
    }

    [Fact]
    public async Task ARetriedSubmissionWithTheSameIdempotencyKeyCreatesOneRequest()
    {
        var customer = TestSubjects.NewCustomer();
        var body = new { type = "erasure", subject = new { customerNumber = customer } };
        var ids = new List<string?>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "/requests") { Content = JsonContent.Create(body, options: HttpAssertions.Json) };
            message.Headers.Add("Idempotency-Key", $"erase-{customer}");
            using var response = await factory.WebsiteFor(customer).SendAsync(message);
            ids.Add((await response.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString());
        }

        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests WHERE customer_number = $1", customer));
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_request_tasks t JOIN privacy.rights_requests r ON r.id = t.request_id WHERE r.customer_number = $1 AND t.target = 'website'", customer));
    }

    [Fact]
    public async Task APartnerCannotReadOrTouchAnyRequest()
    {
        var id = (await SubmitByLetter(new { customerNumber = "4400124" })).GetProperty("id").GetString();
        var partner = factory.Client(Roles.Partner);

        foreach (var path in new[] { $"/requests/{id}", "/requests", "/requests/tasks?system=website" })
        {
            using var read = await partner.GetAsync(path);
            await read.AssertProblem(HttpStatusCode.Forbidden);
        }

        using var submit = await partner.PostJson("/requests", new { type = "access", channel = "web", subject = new { customerNumber = "1" } });
        await submit.AssertProblem(HttpStatusCode.Forbidden);
    }
}
