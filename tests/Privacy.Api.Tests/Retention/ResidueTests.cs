using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Retention;

/// <summary>
/// No residue after erasure (Art 5(1)(e), Art 17): a customer's life with the service as its real callers live it, an erasure,
/// then every period run out; afterwards no column of any table holds anything that links back to the customer. The tables and
/// columns come from the database's catalogue, so a table added later is searched too. One database of its own.
/// </summary>
public sealed class ResidueTests(PrivacyApiFactory factory, ITestOutputHelper output) : IClassFixture<PrivacyApiFactory>
{
    /// <summary>
    /// table.column → the rule that deliberately keeps a customer's identifier there for good. Empty: once every period has run,
    /// nothing may remain. A column named here is printed with its rule; any other one found fails the test.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string> KeptForGood = new Dictionary<string, string>();

    private readonly HttpClient _ops = factory.Client(Roles.Ops);
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);

    [Fact]
    public async Task AfterAnErasureAndEveryRetentionPeriodNoColumnOfAnyTableLinksBackToTheCustomer()
    {
        var (after, personnummer) = await LiveEraseAndOutliveEveryPeriodAsync();

        // Assert: nothing links back, and the disclosure log no longer finds the personnummer; the audit chain is intact.
        Assert.Empty(await FoundByPersonnummer(personnummer));
        Assert.True((await _ops.GetFromJsonAsync<JsonElement>("/audit/verify")).GetProperty("intact").GetBoolean());
        var unexplained = after.Keys.Where(c => !KeptForGood.ContainsKey(c)).ToList();
        Assert.True(unexplained.Count == 0, "Kept under no rule: " + string.Join("; ", unexplained.Select(c => $"{c} ({string.Join(", ", after[c])})")));
    }

    /// <summary>
    /// The same life without one of the rules of the service's own stores: the scan finds what that store kept. (Not here: the
    /// visitor links, which the erasure itself deletes, and the disclosures' personnummer hashes, which go with their customer
    /// numbers too; those rules act for customers never erased, and before the customer number's period.)
    /// </summary>
    [Theory]
    [InlineData("disclosure_records", "user.unique_id", "disclosures.customer_number")]
    [InlineData("follow_up_records", "user.unique_id", "follow_ups.customer_number")]
    [InlineData("retention_records", "user.unique_id", "retention_clocks.customer_number")]
    [InlineData("consent_proof", "user.privacy_preferences", "consent_events.subject_id")]
    [InlineData("rights_request_records", "user.unique_id", "rights_request_customers.customer_number")]
    [InlineData("rights_request_records", "user.contact.email", "rights_request_identifiers.value")]
    [InlineData("notification_delivery", "user.unique_id", "outbox_messages.payload")]
    public async Task WithoutTheRuleOfAnOwnStoreTheScanFindsWhatItKept(string purpose, string category, string column)
    {
        var rule = (await _ops.GetFromJsonAsync<JsonElement>("/retention/rules")).EnumerateArray()
            .Single(r => r.GetProperty("purpose").GetString() == purpose && r.GetProperty("category").GetString() == category);
        (await factory.Ops(HttpMethod.Delete, $"/retention/rules/{purpose}/{category}")).AssertStatus(HttpStatusCode.NoContent);
        try
        {
            var (after, _) = await LiveEraseAndOutliveEveryPeriodAsync();
            Assert.True(after.ContainsKey(column), $"Without {purpose} × {category} the customer should remain in {column}.");
        }
        finally
        {
            (await factory.Ops(HttpMethod.Put, $"/retention/rules/{purpose}/{category}", new
            {
                period = rule.GetProperty("period").GetString(), trigger = rule.GetProperty("trigger").GetString(), action = rule.GetProperty("action").GetString(),
                legalReference = rule.GetProperty("legalReference").GetString(), note = rule.GetProperty("note").GetString(),
            })).AssertStatus(HttpStatusCode.OK);
        }
    }

    /// <summary>
    /// A customer's life as the real callers live it, an erasure, then sixteen years of sweeps; the scan of every column after it
    /// (printed, with the rule that keeps each column found) and the customer's personnummer.
    /// </summary>
    private async Task<(SortedDictionary<string, List<string>> After, string Personnummer)> LiveEraseAndOutliveEveryPeriodAsync()
    {
        var customer = TestSubjects.NewCustomer();
        var personnummer = TestSubjects.NewPersonnummer();
        var visitor = Guid.NewGuid().ToString("N");
        var email = $"residue.{customer}@example.com";
        var corrected = $"residue.new.{customer}@example.com";
        var ip = $"198.51.{Random.Shared.Next(0, 256)}.{Random.Shared.Next(1, 255)}";
        var userAgent = $"Mozilla/5.0 (X11; Linux x86_64) residue-{visitor[..12]}";
        var start = factory.Time.GetUtcNow();

        // Consent: the banner's choice for the visitor, the visitor linked to the customer at sign-in, the newsletter.
        var banner = await Decide("visitor", visitor, "banner", ("cookies.statistics", "granted"), ip, userAgent);
        (await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/link", new { customerNumber = customer })).EnsureSuccessStatusCode();
        var newsletter = await Decide("customer", customer, "settings_page", ("newsletter", "granted"), ip, userAgent);

        // Disclosures to both partners, the personnummer to the invoicing partner (the only one the registry allows it).
        (await factory.SystemClient("booking").PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.name", "user.contact.email", "user.unique_id" },
                      purpose = "customer_obligations", legalGround = "contract", disclosedAt = start, reference = $"ORDER-{customer}" },
            },
        })).EnsureSuccessStatusCode();
        (await factory.SystemClient("accounting").PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.name", "user.unique_id", "user.government_id.national_identification_number" },
                      purpose = "billing", legalGround = "contract", disclosedAt = start, reference = $"INV-{customer}", nationalIdentityNumber = personnummer },
            },
        })).EnsureSuccessStatusCode();
        Assert.NotEmpty(await FoundByPersonnummer(personnummer));

        // A rectification of the e-mail address told to the card provider, which acknowledges it.
        using (var raised = await _ops.PostJson("/follow-ups", new
               {
                   customerNumber = customer, action = "rectify", recipient = "card-provider", corrections = new Dictionary<string, string> { ["user.contact.email"] = corrected },
                   reason = $"Customer {customer} wrote from {email}", reference = $"CASE-{customer}",
               }))
        {
            raised.EnsureSuccessStatusCode();
        }

        await AcknowledgeFollowUps(customer);

        // An access request by e-mail with the personnummer, entered and verified by ops; the systems answer with the data.
        using var submitted = await _ops.PostJson("/requests", new
        {
            type = "access", channel = "email", subject = new { email, nationalIdentityNumber = personnummer }, note = $"E-mail from {email}",
        });
        var access = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        (await _ops.PostJson($"/requests/{access}/identity-verification", new
        {
            method = $"Reply from {email} and a BankID signature", identifiers = new[] { "email", "national_identity_number" },
        })).EnsureSuccessStatusCode();
        await AnswerTasks(new { email, customerNumber = customer });
        Assert.Equal("completed", (await _ops.GetFromJsonAsync<JsonElement>($"/requests/{access}")).GetProperty("status").GetString());

        // Clock events from the booking system, a legal hold placed and released, a sweep.
        await factory.ReportClock(customer, "transaction", start);
        await factory.ReportClock(customer, "relationship_ended", start);
        using var placed = await _ops.PostJson("/retention/holds", new { customerNumber = customer, reason = $"Dispute over invoice INV-{customer}" });
        var hold = (await placed.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetInt64();
        (await _ops.PostJson($"/retention/holds/{hold}/release", new { reason = "The dispute was settled" })).EnsureSuccessStatusCode();
        await factory.Sweep();

        // What links back, as stored: keyed hashes (pseudonyms, not anonymous), the personnummer in each written form.
        var identifiers = new Dictionary<string, string>
        {
            ["customer number"] = customer, ["e-mail"] = email, ["corrected e-mail"] = corrected, ["visitor id"] = visitor, ["IP address"] = ip,
            ["user agent"] = userAgent, ["personnummer"] = personnummer, ["personnummer (12 digits)"] = personnummer.Replace("-", ""),
            ["personnummer (10 digits)"] = personnummer[2..].Replace("-", ""), ["personnummer (YYMMDD-NNNC)"] = personnummer[2..],
            ["visitor id's SHA-256 prefix"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(visitor)))[..16],
        };
        await AddStored(identifiers, "personnummer's keyed hash", "SELECT DISTINCT national_id_hash FROM privacy.disclosures WHERE customer_number = $1 AND national_id_hash IS NOT NULL", customer);
        await AddStored(identifiers, "IP address's keyed hash",
            "SELECT DISTINCT p.ip_address_hash FROM privacy.consent_proofs p WHERE p.event_id = ANY ($1)", new[] { banner, newsletter });
        await AddStored(identifiers, "user agent's keyed hash",
            "SELECT DISTINCT p.user_agent_hash FROM privacy.consent_proofs p WHERE p.event_id = ANY ($1)", new[] { banner, newsletter });
        var before = await ScanAsync(identifiers);
        Print("Before the erasure (where the scan finds the customer)", before, rules: false);
        foreach (var expected in new[]
                 {
                     "consent_events.subject_id", "consent_subject_links.visitor_id", "consent_proofs.ip_address", "disclosures.customer_number",
                     "disclosures.national_id_hash", "follow_ups.customer_number", "follow_ups.corrections", "rights_requests.email",
                     "rights_request_identifiers.value", "rights_request_customers.customer_number", "rights_request_tasks.result",
                     "retention_clocks.customer_number", "legal_holds.reason", "outbox_messages.payload",
                 })
        {
            Assert.True(before.ContainsKey(expected), $"The scan should find the customer in {expected} before the erasure.");
        }

        // Act 1: the customer asks for erasure on the website; the systems report done, the partners acknowledge.
        using var erasure = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "erasure", subject = new { customerNumber = customer, email } });
        var erasureId = (await erasure.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await AddStored(identifiers, "erasure's keyed pseudonym", "SELECT subject_id FROM privacy.consent_events WHERE id = $1", newsletter);
        await AnswerTasks(null);
        await AcknowledgeFollowUps(customer);
        Assert.Equal("partially_completed", (await _ops.GetFromJsonAsync<JsonElement>($"/requests/{erasureId}")).GetProperty("status").GetString());

        // Act 2: the clock moves past every period (the Bookkeeping Act's seven years, then the three years of the records that
        // show what was done), half a year at a time; each sweep's work is done by the systems and partners as it comes.
        for (var at = start.AddMonths(6); at <= start.AddYears(16); at = at.AddMonths(6))
        {
            factory.Time.SetUtcNow(at);
            await factory.Sweep();
            await AnswerTasks(null);
            await AcknowledgeFollowUps(customer);
            await factory.Sweep();
        }

        await factory.SealAuditAsync();
        var after = await ScanAsync(identifiers);
        Print("After every period", after);
        return (after, personnummer);
    }

    private async Task<Guid> Decide(string type, string id, string channel, (string Purpose, string Status) choice, string ip, string userAgent)
    {
        using var response = await _frontend.PostJson("/consent/decisions", new
        {
            subject = new { type, id }, choices = new[] { new { purpose = choice.Purpose, status = choice.Status } }, policyVersion = "2022-02-08",
            channel, notice = new { id = "banner-v1-sv", text = "Vi använder cookies." }, language = "sv", proof = new { ipAddress = ip, userAgent },
        });
        return Guid.Parse((await response.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("receiptId").GetString()!);
    }

    private async Task<List<JsonElement>> FoundByPersonnummer(string personnummer)
    {
        using var response = await factory.SystemClient("accounting").PostJson("/disclosures/search", new { nationalIdentityNumber = personnummer });
        return [.. (await response.ReadOk<JsonElement>()).GetProperty("items").EnumerateArray()];
    }

    /// <summary>Every internal system reads its open tasks with its own key and reports them done.</summary>
    private async Task AnswerTasks(object? result)
    {
        foreach (var system in PrivacyApiFactory.SystemKeys.Keys)
        {
            var client = factory.SystemClient(system);
            var tasks = await client.GetFromJsonAsync<JsonElement>("/requests/tasks?limit=500");
            foreach (var task in tasks.GetProperty("items").EnumerateArray())
            {
                using var outcome = await client.PostJson(task.GetProperty("reportAt").GetString()!,
                    result is null || task.GetProperty("action").GetString() != "export" ? new { outcome = "done" } : new { outcome = "done", result });
                outcome.EnsureSuccessStatusCode();
            }
        }
    }

    /// <summary>Each partner acknowledges, with its own key, the follow-ups about the customer it has not answered.</summary>
    private async Task AcknowledgeFollowUps(string customer)
    {
        var page = await _ops.GetFromJsonAsync<JsonElement>($"/follow-ups?customerNumber={customer}&limit=500");
        foreach (var followUp in page.GetProperty("items").EnumerateArray().Where(f => f.GetProperty("status").GetString() == "pending"))
        {
            var partner = followUp.GetProperty("recipient").GetString() == "card-provider"
                ? factory.Client(Roles.Partner)
                : factory.ClientWithKey(PrivacyApiFactory.OtherPartnerKey);
            using var ack = await partner.PostJson($"/partner/follow-ups/{followUp.GetProperty("id").GetInt64()}/acknowledgement",
                new { outcome = "done", reason = $"Done for customer {customer}" });
            ack.EnsureSuccessStatusCode();
        }
    }

    private async Task AddStored(Dictionary<string, string> identifiers, string name, string sql, object parameter)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(parameter);
        var values = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                values.Add(reader.GetString(0).Trim());
            }
        }

        Assert.NotEmpty(values);
        for (var i = 0; i < values.Count; i++)
        {
            identifiers[values.Count == 1 ? name : $"{name} {i + 1}"] = values[i];
        }
    }

    /// <summary>
    /// Every text, character, JSON, uuid, address and text-array column of every table outside the system schemas, searched for
    /// each identifier (case-insensitive substring): table.column → the identifiers found in it.
    /// </summary>
    private async Task<SortedDictionary<string, List<string>>> ScanAsync(IReadOnlyDictionary<string, string> identifiers)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        var columns = new List<(string Schema, string Table, string Column)>();
        await using (var list = new NpgsqlCommand("""
                         SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c
                         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
                         WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.table_schema NOT LIKE 'pg_toast%'
                           AND c.udt_name IN ('text', 'varchar', 'bpchar', 'json', 'jsonb', 'uuid', 'inet', 'cidr', '_text', '_varchar')
                         ORDER BY 1, 2, 3
                         """, connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        Assert.True(columns.Select(c => c.Table).Distinct().Count() >= 20, "The catalogue should list the service's tables.");
        output.WriteLine($"Searched {columns.Count} columns of {columns.Select(c => (c.Schema, c.Table)).Distinct().Count()} tables for: {string.Join(", ", identifiers.Keys)}");
        var found = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (schema, table, column) in columns)
        {
            await using var search = new NpgsqlCommand($"""
                SELECT i.name FROM unnest($1::text[], $2::text[]) AS i(name, value)
                WHERE EXISTS (SELECT 1 FROM "{schema}"."{table}" x WHERE strpos(lower(x."{column}"::text), lower(i.value)) > 0)
                ORDER BY 1
                """, connection);
            search.Parameters.AddWithValue(identifiers.Keys.ToArray());
            search.Parameters.AddWithValue(identifiers.Values.ToArray());
            await using var reader = await search.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var key = (schema == "privacy" ? "" : schema + ".") + $"{table}.{column}";
                (found.TryGetValue(key, out var names) ? names : found[key] = []).Add(reader.GetString(0));
            }
        }

        return found;
    }

    private void Print(string title, SortedDictionary<string, List<string>> found, bool rules = true)
    {
        output.WriteLine($"{title}: {(found.Count == 0 ? "nothing found" : $"{found.Count} columns")}");
        foreach (var (column, names) in found)
        {
            output.WriteLine($"  {column}: {string.Join(", ", names)}" + (rules ? $" — kept under rule: {KeptForGood.GetValueOrDefault(column, "none")}" : ""));
        }
    }
}
