using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Retention;

/// <summary>
/// Schedules and the sweep over the policy's seeded rules, moving the service's clock. Tests share one database and one
/// clock that only moves forward, so each works from "now" and looks only at its own customers.
/// </summary>
public sealed class RetentionScheduleTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task ACategoryIsDueExactlyWhenTheLastPurposeHoldingItEnds()
    {
        var customer = TestSubjects.NewCustomer();
        var ended = factory.Time.GetUtcNow();
        await factory.ReportClock(customer, "relationship_ended", ended);

        var schedule = await factory.Schedule(customer);

        // Profile information: only website_services (P30D after the account closed) holds it.
        Assert.Equal("scheduled", schedule.State("user.demographic.profile"));
        Assert.Equal(ended.AddDays(30), schedule.Category("user.demographic.profile").At("endsAt"));
        // The phone number: customer obligations and billing, three years after the relationship ended (Preskriptionslagen).
        Assert.Equal(ended.AddYears(3), schedule.Category("user.contact.phone_number").At("endsAt"));
        // IP addresses: website_services counts from collection, which no system reported; kept, and the schedule says why.
        Assert.Equal("kept", schedule.State("user.device.ip_address"));
        Assert.Contains("collected", schedule.Category("user.device.ip_address").GetProperty("why").GetString());
        Assert.Equal(ended.AddDays(30), schedule.At("nextDueAt"));

        // A microsecond before the end: nothing.
        factory.Time.SetUtcNow(ended.AddDays(30).AddTicks(-10));
        await factory.Sweep();
        Assert.Empty(await factory.SweptCategories(customer));

        // At the end: exactly that category, once, however often the sweep runs.
        factory.Time.SetUtcNow(ended.AddDays(30));
        await factory.Sweep();
        await factory.Sweep();
        Assert.Equal(new Dictionary<string, long> { ["user.demographic.profile"] = 1 }, await factory.SweptCategories(customer));

        // The work went out as an erasure on the retention channel, to the system holding the category.
        var swept = (await factory.Schedule(customer)).Category("user.demographic.profile");
        Assert.Equal("swept", swept.GetProperty("state").GetString());
        var request = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/requests/{swept.GetProperty("requestId").GetGuid()}");
        Assert.Equal("retention", request.GetProperty("channel").GetString());
        Assert.Equal("erasure", request.GetProperty("type").GetString());
        Assert.Equal("in_progress", request.GetProperty("status").GetString());
        var task = Assert.Single(request.GetProperty("tasks").EnumerateArray());
        Assert.Equal("website", task.GetProperty("target").GetString());
        Assert.Equal("erase", task.GetProperty("action").GetString());
        Assert.Equal(["user.demographic.profile"], task.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        // Nobody asked, so nobody is written to.
        Assert.Equal(0, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.outbox_messages WHERE recipient_key = 'email' AND payload::text LIKE '%' || $1 || '%'", request.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task TheBookkeepingPeriodRunsFromTheEndOfTheCalendarYearOfTheLastTransaction()
    {
        var year = factory.Time.GetUtcNow().Year + 1;
        factory.Time.SetUtcNow(new DateTimeOffset(year + 1, 1, 1, 1, 0, 0, TimeSpan.Zero));
        var lastDay = TestSubjects.NewCustomer();
        var firstDay = TestSubjects.NewCustomer();
        // Swedish calendar years (Stockholm is UTC+1 in winter): 23:30 on 31 December, and 00:30 on 1 January, in Stockholm.
        await factory.ReportClock(lastDay, "transaction", new DateTimeOffset(year, 12, 31, 23, 30, 0, TimeSpan.FromHours(1)));
        await factory.ReportClock(firstDay, "transaction", new DateTimeOffset(year + 1, 1, 1, 0, 30, 0, TimeSpan.FromHours(1)));
        foreach (var customer in new[] { lastDay, firstDay })
        {
            await factory.ReportClock(customer, "relationship_ended", factory.Time.GetUtcNow());
        }

        // Bokföringslagen 7 kap. 2 §: until the end of the seventh year after the year the transaction was in.
        const string nationalId = "user.government_id.national_identification_number";
        var boundary = new DateTimeOffset(year + 8, 1, 1, 0, 0, 0, TimeSpan.FromHours(1)).ToUniversalTime();
        Assert.Equal(boundary, (await factory.Schedule(lastDay)).Category(nationalId).At("endsAt"));
        Assert.Equal(boundary.AddYears(1), (await factory.Schedule(firstDay)).Category(nationalId).At("endsAt"));

        factory.Time.SetUtcNow(boundary.AddTicks(-10));
        await factory.Sweep();
        Assert.False((await factory.SweptCategories(lastDay)).ContainsKey(nationalId));

        factory.Time.SetUtcNow(boundary);
        await factory.Sweep();
        Assert.Equal(1, (await factory.SweptCategories(lastDay))[nationalId]);
        Assert.False((await factory.SweptCategories(firstDay)).ContainsKey(nationalId));
        // The accounting system is told to erase, not to restrict: the law's period is over.
        var request = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>(
            $"/requests/{(await factory.Schedule(lastDay)).Category(nationalId).GetProperty("requestId").GetGuid()}");
        var accounting = Assert.Single(request.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("target").GetString() == "accounting");
        Assert.Equal("erase", accounting.GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, accounting.GetProperty("keptUnder").ValueKind);

        factory.Time.SetUtcNow(boundary.AddYears(1));
        await factory.Sweep();
        Assert.Equal(1, (await factory.SweptCategories(firstDay))[nationalId]);
        Assert.Equal(1, (await factory.SweptCategories(lastDay))[nationalId]);
    }

    [Fact]
    public async Task ARecipientHoldingADueCategoryIsToldToEraseItAndItsAcknowledgementCompletesItsTask()
    {
        var customer = TestSubjects.NewCustomer();
        var start = factory.Time.GetUtcNow();
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.contact.phone_number" },
                      purpose = "customer_obligations", legalGround = "contract", disclosedAt = start },
            },
        })).EnsureSuccessStatusCode();
        await factory.ReportClock(customer, "relationship_ended", start);

        factory.Time.SetUtcNow(start.AddYears(3));
        await factory.Sweep();

        // Art 19 through the partner's own feed: erase the phone number, because its retention period ended.
        var partner = factory.Client(Roles.Partner);
        var (entries, _) = await PartnerFeedReader.ReadUntil(partner, e => e.GetProperty("type").GetString() == "follow_up"
                                                                           && e.GetProperty("customerNumber").GetString() == customer);
        var followUp = Assert.Single(entries, e => e.GetProperty("type").GetString() == "follow_up" && e.GetProperty("customerNumber").GetString() == customer)
            .GetProperty("followUp");
        Assert.Equal("erase", followUp.GetProperty("action").GetString());
        Assert.Equal(["user.contact.phone_number"], followUp.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("Retention period ended", followUp.GetProperty("reason").GetString());

        (await partner.PostJson($"/partner/follow-ups/{followUp.GetProperty("id").GetInt64()}/acknowledgement", new { outcome = "done" }))
            .EnsureSuccessStatusCode();
        var requestId = (await factory.Schedule(customer)).Category("user.contact.phone_number").GetProperty("requestId").GetGuid();
        var request = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/requests/{requestId}");
        Assert.Equal("done", Assert.Single(request.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("target").GetString() == "card-provider")
            .GetProperty("status").GetString());
    }

    [Fact]
    public async Task AHeldSubjectIsSkippedUntilTheHoldEndsAndAReleasedCategoryIsSweptAtOnce()
    {
        var held = TestSubjects.NewCustomer();
        var categoryHeld = TestSubjects.NewCustomer();
        var start = factory.Time.GetUtcNow();
        await factory.ReportClock(held, "relationship_ended", start);
        await factory.ReportClock(categoryHeld, "relationship_ended", start);
        using var hold = await factory.Ops(HttpMethod.Post, "/retention/holds",
            new { customerNumber = held, reason = "Dispute over invoice 2026-118", endsAt = start.AddDays(40) });
        var subjectHold = await hold.ReadOk<JsonElement>(HttpStatusCode.Created);
        using var categoryHold = await factory.Ops(HttpMethod.Post, "/retention/holds",
            new { customerNumber = categoryHeld, category = "user.demographic.profile", reason = "Complaint about a published review" });
        var profileHold = await categoryHold.ReadOk<JsonElement>(HttpStatusCode.Created);

        factory.Time.SetUtcNow(start.AddDays(30));
        await factory.Sweep();
        Assert.Empty(await factory.SweptCategories(held));
        Assert.Empty(await factory.SweptCategories(categoryHeld));
        var schedule = await factory.Schedule(held);
        Assert.Equal("held", schedule.State("user.demographic.profile"));
        Assert.Equal(subjectHold.GetProperty("id").GetInt64(), schedule.Category("user.demographic.profile").GetProperty("holdId").GetInt64());
        Assert.Contains("Dispute over invoice", schedule.Category("user.demographic.profile").GetProperty("why").GetString());
        Assert.True(Assert.Single(schedule.GetProperty("holds").EnumerateArray()).GetProperty("active").GetBoolean());
        // The dry run shows what the holds keep.
        var dryRun = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>("/retention/dry-run?limit=1000");
        Assert.Contains(dryRun.GetProperty("subjects").EnumerateArray(), s => s.GetProperty("customerNumber").GetString() == held
            && s.GetProperty("held").GetArrayLength() == 1 && s.GetProperty("due").GetArrayLength() == 0);

        // The subject's hold ends by itself; the category's is released by ops.
        factory.Time.SetUtcNow(start.AddDays(40));
        using (var release = await factory.Ops(HttpMethod.Post, $"/retention/holds/{profileHold.GetProperty("id").GetInt64()}/release",
                   new { reason = "The complaint was withdrawn" }))
        {
            Assert.False((await release.ReadOk<JsonElement>()).GetProperty("active").GetBoolean());
        }

        await factory.Sweep();
        Assert.Equal(1, (await factory.SweptCategories(held))["user.demographic.profile"]);
        Assert.Equal(1, (await factory.SweptCategories(categoryHeld))["user.demographic.profile"]);
        using var again = await factory.Ops(HttpMethod.Post, $"/retention/holds/{profileHold.GetProperty("id").GetInt64()}/release", new { reason = "again" });
        await again.AssertProblem(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task OpsEditRulesEveryChangeAuditedAndAMissingRuleIsAGapThatKeepsTheData()
    {
        var customer = TestSubjects.NewCustomer();
        await factory.ReportClock(customer, "relationship_ended", factory.Time.GetUtcNow());
        var gaps = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>("/retention/gaps");
        Assert.Equal(0, gaps.GetArrayLength()); // the seed covers every purpose × category the registry links

        // Act: remove the rule for profile × website_services
        (await factory.Ops(HttpMethod.Delete, "/retention/rules/website_services/user.demographic.profile")).AssertStatus(HttpStatusCode.NoContent);

        gaps = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>("/retention/gaps");
        var gap = Assert.Single(gaps.EnumerateArray());
        Assert.Equal(("website_services", "user.demographic.profile"), (gap.GetProperty("purpose").GetString(), gap.GetProperty("category").GetString()));
        Assert.Equal("no_rule", (await factory.Schedule(customer)).State("user.demographic.profile"));

        // Act: set it again, shorter
        using var set = await factory.Ops(HttpMethod.Put, "/retention/rules/website_services/user.demographic.profile",
            new { period = "P14D", trigger = "relationship_ended", action = "anonymise", legalReference = "Art 5(1)(e)", note = "Two weeks after the account closed." });
        var rule = await set.ReadOk<JsonElement>();
        Assert.Equal("P14D", rule.GetProperty("period").GetString());
        Assert.Empty((await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>("/retention/gaps")).EnumerateArray());
        var category = (await factory.Schedule(customer)).Category("user.demographic.profile");
        Assert.Equal("anonymise", category.GetProperty("action").GetString());
        Assert.Equal(2, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE entity_type = 'retention_rule' AND entity_id = 'website_services/user.demographic.profile' " +
            "AND action IN ('retention.rule.deleted', 'retention.rule.set')"));
        (await factory.Ops(HttpMethod.Put, "/retention/rules/website_services/user.demographic.profile",
            new { period = "P30D", trigger = "relationship_ended", action = "erase", note = "A month after the account was closed." })).AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task InvalidRulesClockEventsAndHoldsAreRefusedNamingTheFieldAndNothingChanges()
    {
        var rulesBefore = await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_rules WHERE updated_by <> 'seed'");
        var clocksBefore = await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_clocks");

        using (var response = await factory.Ops(HttpMethod.Put, "/retention/rules/billing/user.name",
                   new { period = "7 years", trigger = "collected", action = "erase", note = "" }))
        {
            Assert.Equal(["note", "period"], (await response.AssertValidationErrors()).Order());
        }

        using (var response = await factory.Ops(HttpMethod.Put, "/retention/rules/billing/user.name", new { period = "P7Y", trigger = "sometime", note = "x" }))
        {
            Assert.Contains("trigger", (await response.AssertProblem(HttpStatusCode.BadRequest)).GetRawText());
        }

        using (var response = await factory.Ops(HttpMethod.Put, "/retention/rules/billing/user.name", new { period = "P7Y", note = "x" }))
        {
            var fields = await response.AssertValidationErrors();
            Assert.Contains("trigger", fields);
            Assert.Contains("action", fields);
        }

        // A category not processed for the purpose: 422, link it first.
        using (var response = await factory.Ops(HttpMethod.Put, "/retention/rules/billing/user.device.cookie_id",
                   new { period = "P1Y", trigger = "collected", action = "erase", note = "x" }))
        {
            await response.AssertProblem(HttpStatusCode.UnprocessableEntity);
        }

        // The consent-proof store cannot count from a relationship's end.
        using (var response = await factory.Ops(HttpMethod.Put, "/retention/rules/consent_proof/user.device.ip_address",
                   new { period = "P1Y", trigger = "relationship_ended", action = "erase", note = "x" }))
        {
            Assert.Contains("trigger", await response.AssertValidationErrors());
        }

        using (var response = await factory.Ops(HttpMethod.Put, "/retention/rules/no_such_purpose/user.name",
                   new { period = "P1Y", trigger = "collected", action = "erase", note = "x" }))
        {
            await response.AssertProblem(HttpStatusCode.NotFound);
        }

        var system = factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey);
        using (var response = await system.PostJson("/retention/clock-events", new
               {
                   events = new object[]
                   {
                       new { customerNumber = "123456", kind = "relationship_ended", occurredAt = factory.Time.GetUtcNow() },
                       new { customerNumber = "123456", kind = "relationship_ended", occurredAt = factory.Time.GetUtcNow().AddDays(1) },
                       new { customerNumber = "not a number", kind = "transaction", occurredAt = factory.Time.GetUtcNow() },
                   },
               }))
        {
            Assert.Equal(["events[1].occurredAt", "events[2].customerNumber"], (await response.AssertValidationErrors()).Order());
        }

        using (var response = await system.PostJson("/retention/clock-events", new
               {
                   events = new[] { new { customerNumber = "123456", kind = "birthday", occurredAt = factory.Time.GetUtcNow() } },
               }))
        {
            Assert.Contains("kind", (await response.AssertProblem(HttpStatusCode.BadRequest)).GetRawText());
        }

        using (var response = await system.PostJson("/retention/clock-events", new { events = Array.Empty<object>() }))
        {
            Assert.Contains("events", await response.AssertValidationErrors());
        }

        using (var response = await system.PostJson("/retention/clock-events", new
               {
                   system = "accounting", events = new[] { new { customerNumber = "123456", kind = "transaction", occurredAt = factory.Time.GetUtcNow() } },
               }))
        {
            await response.AssertProblem(HttpStatusCode.Forbidden); // a key bound to booking speaks for booking only
        }

        using (var response = await factory.Ops(HttpMethod.Post, "/retention/holds", new { customerNumber = "123456", category = "user.shoe_size", reason = "" }))
        {
            var fields = await response.AssertValidationErrors();
            Assert.Contains("reason", fields);
        }

        using (var response = await factory.Client(Roles.Partner).GetAsync("/retention/rules"))
        {
            await response.AssertProblem(HttpStatusCode.Forbidden);
        }

        Assert.Equal(rulesBefore, await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_rules WHERE updated_by <> 'seed'"));
        Assert.Equal(clocksBefore, await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_clocks"));
    }

    [Fact]
    public async Task ARetriedHoldOrClockBatchWithTheSameIdempotencyKeyChangesNothingMore()
    {
        var customer = TestSubjects.NewCustomer();
        var key = Guid.NewGuid().ToString();
        async Task<HttpResponseMessage> Send(HttpClient client, string url, object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body, options: HttpAssertions.Json) };
            request.Headers.Add("Idempotency-Key", key);
            return await client.SendAsync(request);
        }

        var hold = new { customerNumber = customer, reason = "Dispute" };
        var first = await (await Send(factory.Client(Roles.Ops), "/retention/holds", hold)).ReadOk<JsonElement>(HttpStatusCode.Created);
        var second = await (await Send(factory.Client(Roles.Ops), "/retention/holds", hold)).ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(first.GetProperty("id").GetInt64(), second.GetProperty("id").GetInt64());
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.legal_holds WHERE customer_number = $1", customer));

        var events = new { events = new[] { new { customerNumber = customer, kind = "last_activity", occurredAt = factory.Time.GetUtcNow() } } };
        var system = factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey);
        Assert.Equal(1, (await (await Send(system, "/retention/clock-events", events)).ReadOk<JsonElement>()).GetProperty("clocksMoved").GetInt32());
        Assert.Equal(1, (await (await Send(system, "/retention/clock-events", events)).ReadOk<JsonElement>()).GetProperty("clocksMoved").GetInt32());
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_clocks WHERE customer_number = $1", customer));
    }
}
