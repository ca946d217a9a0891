using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Retention;

/// <summary>Two service instances on one database sweep at the same time, in small batches.</summary>
public sealed class TwoSweepersTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task EachCustomersTasksAreCreatedOnceWhenTwoSweepersRunTogether()
    {
        var start = factory.Time.GetUtcNow();
        var customers = Enumerable.Range(0, 40).Select(_ => TestSubjects.NewCustomer()).Distinct().ToList();
        using (var response = await factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey).PostJson("/retention/clock-events",
                   new { events = customers.Select(c => new { customerNumber = c, kind = "relationship_ended", occurredAt = start }) }))
        {
            Assert.Equal(customers.Count, (await response.ReadOk<JsonElement>()).GetProperty("customers").GetInt32());
        }

        object ids = customers.ToArray();
        factory.Time.SetUtcNow(start.AddDays(31));
        var replicas = Enumerable.Range(0, 2).Select(_ => factory.WithWebHostBuilder(b => b.UseSetting("Retention:SubjectBatchSize", "3"))).ToList();
        var clients = replicas.Select(r =>
        {
            var client = r.CreateClient();
            client.DefaultRequestHeaders.Add(ApiKeyOptions.HeaderName, PrivacyApiFactory.Keys[Roles.Ops]);
            return client;
        }).ToList();

        // Act: four sweeps at once, two per instance
        var sweeps = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => clients[i % 2].PostAsync("/retention/sweeps", null)));

        // Assert
        foreach (var sweep in sweeps)
        {
            await sweep.ReadOk<JsonElement>();
        }

        Assert.Equal(customers.Count, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.retention_items WHERE customer_number = ANY($1) AND category_key = 'user.demographic.profile'", ids));
        Assert.Equal(customers.Count, await factory.ScalarAsync(
            "SELECT count(DISTINCT customer_number) FROM privacy.retention_items WHERE customer_number = ANY($1)", ids));
        Assert.Equal(customers.Count, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.rights_requests WHERE channel = 'Retention' AND customer_number = ANY($1)", ids));
        Assert.Equal(customers.Count, await factory.ScalarAsync("""
            SELECT count(*) FROM privacy.rights_request_tasks t JOIN privacy.rights_requests r ON r.id = t.request_id
            WHERE r.customer_number = ANY($1) AND t.target = 'website'
            """, ids));
        Assert.Equal(customers.Count, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.outbox_messages WHERE recipient_key = 'website' AND event_type = 'rights_request.task' AND ordering_key = ANY($1)",
            ids));
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }
}

/// <summary>A sweep whose database session dies in the middle of a batch, and the sweep after it.</summary>
public sealed class SweepCrashTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task ASweepKilledMidBatchLeavesNothingAndTheNextSweepDoesEachItemOnce()
    {
        var start = factory.Time.GetUtcNow();
        var customers = Enumerable.Range(0, 5).Select(_ => TestSubjects.NewCustomer()).ToList();
        for (var i = 0; i < customers.Count; i++)
        {
            factory.Time.SetUtcNow(start.AddMinutes(i));
            await factory.ReportClock(customers[i], "relationship_ended", factory.Time.GetUtcNow()); // swept in this order
        }

        object ids = customers.ToArray();
        factory.Time.SetUtcNow(start.AddDays(31));

        // A session that has claimed the third customer's item: the sweep blocks there, after the first two are done in its transaction.
        await using var blocker = await factory.OpenDatabaseAsync();
        await using var blocking = await blocker.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
                         INSERT INTO privacy.retention_items (customer_number, category_key, due_at, action, request_id, swept_at, swept_by)
                         VALUES ($1, 'user.demographic.profile', $2, 'Erase', gen_random_uuid(), now(), 'blocker')
                         """, blocker, blocking))
        {
            insert.Parameters.AddWithValue(customers[2]);
            insert.Parameters.AddWithValue(start.AddMinutes(2).AddDays(30));
            await insert.ExecuteNonQueryAsync();
        }

        var sweep = factory.Client(Roles.Ops).PostAsync("/retention/sweeps", null);
        var sweeper = await WaitForBlockedSessionAsync(sweep);

        // Act: the sweeper's session dies (as when its process is killed or its connection drops)
        await using (var kill = new NpgsqlCommand("SELECT pg_terminate_backend($1)", blocker, blocking))
        {
            kill.Parameters.AddWithValue(sweeper);
            await kill.ExecuteScalarAsync();
        }

        using (var failed = await sweep)
        {
            await failed.AssertProblem(HttpStatusCode.ServiceUnavailable); // the session died: retry shortly
        }

        await blocking.RollbackAsync();

        // Assert: nothing of the dead batch is left…
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_items WHERE customer_number = ANY($1)", ids));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests WHERE customer_number = ANY($1)", ids));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE ordering_key = ANY($1)", ids));

        // …and the next sweep does every customer once.
        await factory.Sweep();
        await factory.Sweep();
        Assert.Equal(customers.Count, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.retention_items WHERE customer_number = ANY($1)", ids));
        Assert.Equal(customers.Count, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.rights_requests WHERE customer_number = ANY($1)", ids));
        Assert.Equal(customers.Count, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.outbox_messages WHERE ordering_key = ANY($1)", ids));
    }

    /// <summary>The pid of the session waiting for the blocker's lock on retention_items (polling the server's view).</summary>
    private async Task<int> WaitForBlockedSessionAsync(Task sweep)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        for (var attempt = 0; attempt < 600; attempt++)
        {
            Assert.False(sweep.IsCompleted, "The sweep finished instead of blocking on the third customer.");
            await using var command = new NpgsqlCommand("""
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%retention_items%'
                """, connection);
            if (await command.ExecuteScalarAsync() is int pid)
            {
                return pid;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The sweep never reached the third customer.");
    }
}

/// <summary>The dry run at a future instant, then the sweep at that instant: the same customers, categories and rows.</summary>
public sealed class RetentionDryRunTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task TheDryRunAtAnInstantMatchesWhatTheSweepThenDoes()
    {
        var frontend = factory.Client(Roles.Frontend);
        var start = factory.Time.GetUtcNow();
        var (early, late, held, active) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer(), TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        foreach (var customer in new[] { early, held })
        {
            await factory.ReportClock(customer, "relationship_ended", start);
        }

        await factory.ReportClock(active, "last_activity", start);
        (await factory.Ops(HttpMethod.Post, "/retention/holds", new { customerNumber = held, reason = "Dispute" })).AssertStatus(HttpStatusCode.Created);
        var visitors = Enumerable.Range(0, 3).Select(_ => ConsentRequests.NewVisitorId()).ToList();
        foreach (var visitor in visitors)
        {
            await frontend.Record(ConsentRequests.Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        }

        await frontend.Record(ConsentRequests.Decision("customer", active, [("newsletter", "granted")]));
        factory.Time.SetUtcNow(start.AddDays(1));
        await frontend.Record(ConsentRequests.Decision("visitor", visitors[0], [("cookies.statistics", "denied")])); // supersedes
        await frontend.Record(ConsentRequests.Decision("customer", active, [("newsletter", "denied")])); // withdrawn: e-mail? kept for the contract
        factory.Time.SetUtcNow(start.AddMonths(18));
        await factory.ReportClock(late, "relationship_ended", factory.Time.GetUtcNow());
        await frontend.Record(ConsentRequests.Decision("visitor", ConsentRequests.NewVisitorId(), [("cookies.statistics", "granted")]));

        var at = start.AddYears(2).AddDays(2);

        // Act: what would happen at `at`…
        var dryRun = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/retention/dry-run?limit=1000&at={Uri.EscapeDataString(at.ToString("O"))}");
        var predicted = dryRun.GetProperty("subjects").EnumerateArray()
            .SelectMany(s => s.GetProperty("due").EnumerateArray().Select(c => $"{s.GetProperty("customerNumber").GetString()}:{c.GetProperty("category").GetString()}"))
            .Order().ToList();
        var predictedStores = dryRun.GetProperty("stores").EnumerateArray().ToDictionary(s => s.GetProperty("store").GetString()!, s => s.GetProperty("rows").GetInt64());
        var predictedHeld = dryRun.GetProperty("subjects").EnumerateArray().Where(s => s.GetProperty("held").GetArrayLength() > 0)
            .Select(s => s.GetProperty("customerNumber").GetString()).ToList();

        // …and what happens then.
        factory.Time.SetUtcNow(at);
        var swept = await factory.Sweep();

        // Assert
        await using var connection = await factory.OpenDatabaseAsync();
        var done = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT customer_number || ':' || category_key FROM privacy.retention_items", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                done.Add(reader.GetString(0));
            }
        }

        Assert.Equal(predicted, done.Order().ToList());
        Assert.Contains($"{early}:user.demographic.profile", predicted);
        Assert.Contains($"{late}:user.demographic.profile", predicted);
        Assert.DoesNotContain(predicted, p => p.StartsWith(held + ":", StringComparison.Ordinal) || p.StartsWith(active + ":", StringComparison.Ordinal));
        Assert.Equal([held], predictedHeld);
        var sweptStores = swept.GetProperty("stores").EnumerateArray().ToDictionary(s => s.GetProperty("store").GetString()!, s => s.GetProperty("rows").GetInt64());
        Assert.Equal(predictedStores, sweptStores);
        // Three visitors' first decisions, the one superseding the first, the customer's two; not month 18's, in force until month 30.
        Assert.Equal(6, predictedStores["consent-proofs"]);

        // Nothing is left due at that instant.
        var after = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/retention/dry-run?limit=1000");
        Assert.All(after.GetProperty("subjects").EnumerateArray(), s => Assert.Equal(0, s.GetProperty("due").GetArrayLength()));
        Assert.All(after.GetProperty("stores").EnumerateArray(), s => Assert.Equal(0, s.GetProperty("rows").GetInt64()));
    }
}

/// <summary>The clock jumps forward across many ends at once (a host suspended, a clock corrected), then two sweeps run.</summary>
public sealed class ClockJumpTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task AJumpAcrossManyEndsAndDeadlinesSweepsEachItemOnceAndSkipsNone()
    {
        var start = factory.Time.GetUtcNow();
        var customers = Enumerable.Range(0, 12).Select(_ => TestSubjects.NewCustomer()).ToList();
        for (var i = 0; i < customers.Count; i++)
        {
            factory.Time.SetUtcNow(start.AddDays(i)); // relationships ending on twelve days: profile ends on twelve days a month later
            await factory.ReportClock(customers[i], "relationship_ended", factory.Time.GetUtcNow());
            if (i % 3 == 0)
            {
                await factory.ReportClock(customers[i], "transaction", factory.Time.GetUtcNow()); // and accounting data, 7 years on
            }
        }

        using (var submitted = await factory.WebsiteFor(customers[0]).PostJson("/requests", new { type = "access", subject = new { customerNumber = customers[0] } }))
        {
            submitted.EnsureSuccessStatusCode(); // due a month from now: overdue after the jump
        }

        // Act: the clock jumps four years at once, past every profile's end and every request's deadline; two sweeps race.
        factory.Time.SetUtcNow(start.AddYears(4));
        var sweeps = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => factory.Client(Roles.Ops).PostAsync("/retention/sweeps", null)));
        foreach (var sweep in sweeps)
        {
            sweep.EnsureSuccessStatusCode();
        }

        await factory.Sweep();

        // Assert: every category whose end was passed is swept once, none skipped, none early.
        object ids = customers.ToArray();
        Assert.Equal(customers.Count, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.retention_items WHERE customer_number = ANY($1) AND category_key = 'user.demographic.profile'", ids));
        Assert.Equal(0, await factory.ScalarAsync("""
            SELECT count(*) FROM (SELECT customer_number, category_key, due_at FROM privacy.retention_items WHERE customer_number = ANY($1)
                                  GROUP BY 1, 2, 3 HAVING count(*) > 1) d
            """, ids));
        // National identity numbers: billing's three years have run for all; the Bookkeeping Act's seven for none, so only the
        // customers without a transaction have theirs swept.
        object withTransactions = customers.Where((_, i) => i % 3 == 0).ToArray();
        Assert.Equal(customers.Count - 4, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.retention_items WHERE customer_number = ANY($1) AND category_key = 'user.government_id.national_identification_number'", ids));
        Assert.Equal(0, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.retention_items WHERE customer_number = ANY($1) AND category_key = 'user.government_id.national_identification_number'",
            withTransactions));
        foreach (var customer in customers)
        {
            var schedule = await factory.Schedule(customer);
            Assert.DoesNotContain(schedule.GetProperty("categories").EnumerateArray(), c => c.GetProperty("state").GetString() == "due");
        }

        var overdue = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>("/requests?due=overdue&limit=1000");
        Assert.Contains(overdue.GetProperty("items").EnumerateArray(), r => r.GetProperty("type").GetString() == "access");
    }
}
