using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Retention;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Operations;

/// <summary>
/// The Prometheus scrape and the ops dashboard after real work: consent recorded, rights requests made overdue by the clock,
/// outbox messages pending and dead-lettered, a retention sweep. Figures are compared as deltas (the class shares a database).
/// </summary>
public sealed partial class MetricsTests(PrivacyApiFactory factory, ITestOutputHelper output) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    /// <summary>Past the figures' cache (Operations:FiguresCacheDuration, 5 s): the next scrape reads the database again.</summary>
    private void PastTheFiguresCache() => factory.Time.Advance(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task TheScrapeNeedsAMetricsOrOpsKey()
    {
        using (var anonymous = await factory.Client(null).GetAsync("/metrics"))
        {
            await anonymous.AssertProblem(HttpStatusCode.Unauthorized);
        }

        foreach (var role in new[] { Roles.Frontend, Roles.Partner, Roles.System, Roles.Banner })
        {
            using var refused = await factory.Client(role).GetAsync("/metrics");
            await refused.AssertProblem(HttpStatusCode.Forbidden);
        }

        foreach (var role in new[] { Roles.Metrics, Roles.Ops })
        {
            using var scraped = await factory.Client(role).GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
            Assert.StartsWith("text/plain", scraped.Content.Headers.ContentType?.MediaType);
            Assert.Contains("privacy_outbox_pending", await scraped.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task TheMetricsKeyOpensNothingButTheScrape()
    {
        var metrics = factory.Client(Roles.Metrics);

        // The dashboard holds the same figures, /whoami needs no database, and a path no endpoint has falls to the fallback policy.
        foreach (var path in new[] { "/operations/dashboard", "/whoami", "/audit/entries", "/api-keys", "/no-such-endpoint" })
        {
            using var refused = await metrics.GetAsync(path);
            await refused.AssertProblem(HttpStatusCode.Forbidden);
        }

        using var registry = await metrics.PostJson("/registry/categories", new { key = "user.fuzz", name = "Fuzz" });
        await registry.AssertProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SwaggerDocumentsTheScrapeWithThePrometheusConfiguration()
    {
        var paths = (await factory.Client(null).GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json")).GetProperty("paths");
        var scrape = paths.GetProperty("/metrics").GetProperty("get");
        Assert.Contains("http_headers", scrape.GetProperty("description").GetString());
        Assert.True(scrape.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/plain", out _));
        Assert.True(paths.GetProperty("/operations/dashboard").TryGetProperty("get", out _));
    }

    [Fact]
    public async Task CommittedConsentEventsAreCountedOnceAndAReplayIsNotCountedAgain()
    {
        var frontend = factory.Client(Roles.Frontend);
        var before = await Scrape();
        var visitor = ConsentRequests.NewVisitorId();
        var decision = ConsentRequests.Decision("visitor", visitor, [("cookies.preferences", "granted"), ("cookies.statistics", "granted")]);

        // Act: one decision sent twice with one Idempotency-Key, one refused, one with Global Privacy Control, one withdrawal
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/consent/decisions") { Content = JsonContent.Create(decision) };
            request.Headers.Add(IdempotencyFilter.HeaderName, $"metrics-{visitor}");
            using var response = await frontend.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal(attempt == 1, response.Headers.Contains(IdempotencyFilter.ReplayedHeader));
        }

        using (var refused = await frontend.PostJson("/consent/decisions",
                   ConsentRequests.Decision("visitor", visitor, [("no_such_purpose", "granted")])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (var gpc = new HttpRequestMessage(HttpMethod.Post, "/consent/decisions")
               {
                   Content = JsonContent.Create(ConsentRequests.Decision("visitor", ConsentRequests.NewVisitorId(), [("cookies.statistics", "granted")])),
               })
        {
            gpc.Headers.Add("Sec-GPC", "1");
            using var response = await frontend.SendAsync(gpc);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        using (var withdrawal = await frontend.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals", new { all = true, channel = "settings_page" }))
        {
            Assert.Equal(HttpStatusCode.Created, withdrawal.StatusCode);
        }

        // Assert
        var after = await Scrape();
        Assert.Equal(1, Delta(before, after, "privacy_consent_events_total", ("consent_kind", "decision"), ("consent_channel", "banner"), ("consent_gpc", "false")));
        Assert.Equal(1, Delta(before, after, "privacy_consent_events_total", ("consent_kind", "decision"), ("consent_channel", "banner"), ("consent_gpc", "true")));
        Assert.Equal(1, Delta(before, after, "privacy_consent_events_total", ("consent_kind", "withdrawal"), ("consent_channel", "settings_page")));
        Assert.Equal(3, Delta(before, after, "privacy_consent_events_total"));
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1", visitor));
    }

    [Fact]
    public async Task OpenRequestsBecomeOverdueWhenTheClockPassesTheirDueDateAndTheOutboxBacklogIsReported()
    {
        factory.Time.Advance(TimeSpan.FromDays(100)); // the other tests' open requests are all overdue by now: only this test's change
        var before = await Scrape();
        var pendingBefore = await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE delivered_at IS NULL AND dead_lettered_at IS NULL");

        // Act: three requests by letter (each tells the requester through the e-mail system: outbox messages)
        var ids = new List<string>();
        foreach (var type in new[] { "access", "access", "erasure" })
        {
            using var response = await _ops.PostJson("/requests", new { type, channel = "letter", subject = new { customerNumber = TestSubjects.NewCustomer() } });
            ids.Add((await response.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!);
        }

        PastTheFiguresCache();
        var submitted = await Scrape();
        factory.Time.Advance(TimeSpan.FromDays(32)); // Art 12(3): one month
        var overdue = await Scrape();
        var deadLettered = await factory.ScalarAsync("""
            UPDATE privacy.outbox_messages SET dead_lettered_at = $1
            WHERE id = (SELECT min(id) FROM privacy.outbox_messages WHERE delivered_at IS NULL AND dead_lettered_at IS NULL) RETURNING id
            """, factory.Time.GetUtcNow());
        PastTheFiguresCache();
        var afterDeadLetter = await Scrape();

        // Assert
        Assert.Equal(2, Delta(before, submitted, "privacy_rights_requests_open", ("rights_request_type", "access")));
        Assert.Equal(1, Delta(before, submitted, "privacy_rights_requests_open", ("rights_request_type", "erasure")));
        Assert.Equal(0, Delta(before, submitted, "privacy_rights_requests_overdue"));
        Assert.All(new[] { "rectification", "completion", "restriction", "portability", "objection" }, kind => Assert.Contains(submitted.Series, // every kind has a series
            s => s.Name == "privacy_rights_requests_overdue" && s.Labels.GetValueOrDefault("rights_request_type") == kind));
        Assert.Equal(2, Delta(submitted, overdue, "privacy_rights_requests_overdue", ("rights_request_type", "access")));
        Assert.Equal(1, Delta(submitted, overdue, "privacy_rights_requests_overdue", ("rights_request_type", "erasure")));
        Assert.Equal(overdue.Sum("privacy_rights_requests_open"), overdue.Sum("privacy_rights_requests_overdue")); // every open one is late now

        var pendingAfter = await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE delivered_at IS NULL AND dead_lettered_at IS NULL");
        Assert.True(pendingAfter + 1 > pendingBefore, "submitting requests wrote no outbox message");
        Assert.Equal(pendingAfter + 1, submitted.Sum("privacy_outbox_pending"));
        Assert.Equal(pendingAfter, afterDeadLetter.Sum("privacy_outbox_pending"));
        Assert.Equal(1, Delta(overdue, afterDeadLetter, "privacy_outbox_dead_lettered"));
        Assert.True(deadLettered > 0);
        // The relay's lag: the oldest pending message has waited at least the 32 days the clock moved on.
        var oldest = await factory.ScalarAsync("""
            SELECT floor(extract(epoch FROM $1 - min(created_at)))::bigint FROM privacy.outbox_messages WHERE delivered_at IS NULL AND dead_lettered_at IS NULL
            """, factory.Time.GetUtcNow());
        Assert.Equal(oldest, Math.Floor(afterDeadLetter.Sum("privacy_outbox_oldest_pending_age_seconds")));
        Assert.True(oldest >= TimeSpan.FromDays(32).TotalSeconds);
    }

    [Fact]
    public async Task TheRetentionSweepsProgressAndBacklogAreReported()
    {
        var customers = new[] { TestSubjects.NewCustomer(), TestSubjects.NewCustomer() };
        foreach (var customer in customers)
        {
            await factory.ReportClock(customer, "relationship_ended", factory.Time.GetUtcNow());
        }

        factory.Time.Advance(TimeSpan.FromDays(31));
        var before = await Scrape();
        var itemsBefore = await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_items");

        // Act
        var sweep = await factory.Sweep();
        PastTheFiguresCache();
        var after = await Scrape();

        // Assert
        var dueBefore = before.Sum("privacy_retention_due");
        Assert.True(dueBefore >= customers.Length, $"only {dueBefore} customers due");
        Assert.Equal(dueBefore, Delta(before, after, "privacy_retention_customers_evaluated_total"));
        Assert.Equal(dueBefore, sweep.GetProperty("subjectsEvaluated").GetInt32());
        Assert.Equal(0, after.Sum("privacy_retention_due"));
        var categories = await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_items") - itemsBefore;
        Assert.True(categories >= customers.Length);
        Assert.Equal(categories, Delta(before, after, "privacy_retention_categories_swept_total"));
        Assert.Equal(sweep.GetProperty("stores").EnumerateArray().Sum(s => s.GetProperty("rows").GetInt64()),
            Delta(before, after, "privacy_retention_store_rows_total"));
        Assert.Equal((factory.Time.GetUtcNow() - TimeSpan.FromSeconds(10)).ToUnixTimeSeconds(), after.Sum("privacy_retention_sweep_last_completion_seconds"));
    }

    [Fact]
    public async Task WhileTheFiguresCannotBeReadTheScrapeGoesOnWithTheLastOnesAndTheirAge()
    {
        PastTheFiguresCache();
        var fresh = await Scrape();
        Assert.Equal(0, fresh.Sum("privacy_operations_figures_age_seconds"));
        await factory.ScalarAsync("ALTER TABLE privacy.retention_subjects RENAME TO retention_subjects_away; SELECT 1");
        Scraped stale;
        try
        {
            // Act
            factory.Time.Advance(TimeSpan.FromSeconds(42));
            stale = await Scrape();
        }
        finally
        {
            await factory.ScalarAsync("ALTER TABLE privacy.retention_subjects_away RENAME TO retention_subjects; SELECT 1");
        }

        // Assert
        Assert.Equal(42, stale.Sum("privacy_operations_figures_age_seconds"));
        Assert.Equal(fresh.Sum("privacy_outbox_pending"), stale.Sum("privacy_outbox_pending"));
        Assert.Contains(stale.Series, s => s.Name == "http_server_request_duration_seconds_count");
        factory.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await Scrape()).Sum("privacy_operations_figures_age_seconds"));
    }

    [Fact]
    public async Task AnotherHostInTheSameProcessIsNotReported()
    {
        await using var other = factory.WithWebHostBuilder(_ => { });
        var otherFrontend = other.CreateClient();
        otherFrontend.DefaultRequestHeaders.Add(ApiKeyOptions.HeaderName, PrivacyApiFactory.Keys[Roles.Frontend]);
        var before = await Scrape();

        // Act: a decision through the other host (the tests' factories share a process, as instances never do in production)
        using (var response = await otherFrontend.PostJson("/consent/decisions",
                   ConsentRequests.Decision("visitor", ConsentRequests.NewVisitorId(), [("newsletter", "granted")])))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // Assert: this host's scrape has neither the other's count nor a second copy of each of its own series
        var after = await Scrape();
        Assert.Equal(0, Delta(before, after, "privacy_consent_events_total"));
        Assert.Single(after.Series, s => s.Name == "privacy_outbox_pending");
        Assert.Equal(0, Delta(before, after, "http_server_request_duration_seconds_count", ("http_route", "/consent/decisions")));
    }

    [Fact]
    public async Task TheDashboardShowsTheFiguresTheGaugesReport()
    {
        using (var response = await _ops.PostJson("/requests", new { type = "objection", channel = "letter", purpose = "anonymous_statistics",
                   subject = new { customerNumber = TestSubjects.NewCustomer() } }))
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        await factory.Client(Roles.Frontend).Record(ConsentRequests.Decision("visitor", ConsentRequests.NewVisitorId(), [("newsletter", "granted")]));
        factory.Time.Advance(TimeSpan.FromDays(40));

        // Act: the scrape reads the figures; the dashboard, at the same instant, shows the same snapshot
        var scrape = await Scrape();
        var dashboard = await _ops.GetFromJsonAsync<JsonElement>("/operations/dashboard");

        // Assert
        output.WriteLine(dashboard.ToString());
        Assert.Equal(factory.Time.GetUtcNow(), dashboard.GetProperty("figuresAt").GetDateTimeOffset());
        var requests = dashboard.GetProperty("rightsRequests");
        Assert.True(requests.GetProperty("overdue").GetInt32() >= 1);
        Assert.Equal(scrape.Sum("privacy_rights_requests_open"), requests.GetProperty("open").GetInt32());
        Assert.Equal(scrape.Sum("privacy_rights_requests_overdue"), requests.GetProperty("overdue").GetInt32());
        foreach (var type in requests.GetProperty("byType").EnumerateArray())
        {
            var kind = ("rights_request_type", type.GetProperty("type").GetString()!);
            Assert.Equal(scrape.Sum("privacy_rights_requests_open", kind), type.GetProperty("open").GetInt32());
            Assert.Equal(scrape.Sum("privacy_rights_requests_overdue", kind), type.GetProperty("overdue").GetInt32());
        }

        var outbox = dashboard.GetProperty("outbox");
        Assert.True(outbox.GetProperty("pending").GetInt64() >= 1);
        Assert.Equal(scrape.Sum("privacy_outbox_pending"), outbox.GetProperty("pending").GetInt64());
        Assert.Equal(scrape.Sum("privacy_outbox_dead_lettered"), outbox.GetProperty("deadLettered").GetInt64());
        Assert.Equal(scrape.Sum("privacy_outbox_oldest_pending_age_seconds"), outbox.GetProperty("oldestPendingAgeSeconds").GetDouble(), 3);
        var retention = dashboard.GetProperty("retention");
        Assert.Equal(scrape.Sum("privacy_retention_due"), retention.GetProperty("dueNow").GetInt64());
        Assert.Equal(scrape.Sum("privacy_retention_customers_evaluated_total"), retention.GetProperty("customersEvaluated").GetInt64());
        Assert.Equal(scrape.Sum("privacy_retention_categories_swept_total"), retention.GetProperty("categoriesSwept").GetInt64());
        var consent = dashboard.GetProperty("consent");
        Assert.True(consent.GetProperty("decisions").GetInt64() >= 1);
        Assert.Equal(scrape.Sum("privacy_consent_events_total", ("consent_kind", "decision")), consent.GetProperty("decisions").GetInt64());
        Assert.Equal(scrape.Sum("privacy_consent_events_total", ("consent_kind", "withdrawal")), consent.GetProperty("withdrawals").GetInt64());
    }

    [Fact]
    public async Task TheScrapeCarriesRouteTemplatesAndNoPersonalData()
    {
        var customer = TestSubjects.NewCustomer();
        var visitor = ConsentRequests.NewVisitorId();
        const string email = "metrics.requester@example.com";
        var frontend = factory.Client(Roles.Frontend);
        await frontend.Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        await frontend.Record(ConsentRequests.Decision("visitor", visitor, [("newsletter", "granted")]));
        await frontend.State("customer", customer);
        await frontend.State("visitor", visitor);
        using (var response = await _ops.PostJson("/requests", new { type = "access", channel = "email", subject = new { customerNumber = customer, email } }))
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        using (var missing = await _ops.GetAsync($"/requests/{Guid.NewGuid()}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        // Act
        var text = await _ops.GetStringAsync("/metrics");

        // Assert
        Assert.Contains("http_route=\"/consent/subjects/{subjectType}/{subjectId}\"", text);
        Assert.DoesNotContain(visitor, text);
        Assert.DoesNotContain(email, text);
        Assert.DoesNotContain("example.com", text);
        var labels = Parse(text).Series.SelectMany(s => s.Labels.Values).ToList();
        Assert.NotEmpty(labels);
        Assert.DoesNotContain(labels, value => value.Contains(customer, StringComparison.Ordinal) || value.Contains(visitor, StringComparison.Ordinal));
    }

    private async Task<Scraped> Scrape()
    {
        using var response = await _ops.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    private static double Delta(Scraped before, Scraped after, string name, params (string Label, string Value)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    public sealed record Series(string Name, Dictionary<string, string> Labels, double Value);

    public sealed record Scraped(IReadOnlyList<Series> Series)
    {
        /// <summary>The sum over the series of <paramref name="name"/> that carry these labels (0 when none).</summary>
        public double Sum(string name, params (string Label, string Value)[] labels) => Series
            .Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value)).Sum(s => s.Value);
    }

    private static Scraped Parse(string text) => new([.. text.Split('\n')
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line => SeriesLine().Match(line))
        .Where(m => m.Success)
        .Select(m => new Series(m.Groups["name"].Value,
            LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value),
            double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))]);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex SeriesLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
