using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Consent.ConsentRequests;

namespace Privacy.Api.Tests.Consent;

/// <summary>
/// The consent log export for auditors (GET /consent/events/export). The tests of one class share a service; each moves the
/// clock on first and exports from then (<c>from</c>), so it reads only the events it recorded.
/// </summary>
public sealed class ConsentExportTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private static readonly string[] Header =
    [
        "receipt_id", "occurred_at", "subject_type", "subject_id", "kind", "purpose", "granted", "requested", "policy_version", "channel",
        "notice_id", "notice_hash", "language", "gpc", "gpc_source", "recorded_by", "ip_address", "user_agent", "ip_address_hash",
        "user_agent_hash", "key_id", "proof_erased_at",
    ];

    private const string Ip = "203.0.113.7";
    private const string UserAgent = "Mozilla/5.0 (X11; Linux x86_64) test";

    private readonly HttpClient _ops = factory.Client(Roles.Ops);
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);

    /// <summary>Moves the clock on past every earlier test's events; returns the instant to export from.</summary>
    private DateTimeOffset Start()
    {
        factory.Time.Advance(TimeSpan.FromDays(1));
        return factory.Time.GetUtcNow();
    }

    private static string Query(DateTimeOffset from, string more = "") => $"from={Uri.EscapeDataString(from.ToString("O"))}{more}";

    private async Task<List<Dictionary<string, string>>> Csv(string query)
    {
        using var response = await _ops.GetAsync($"/consent/events/export?format=csv&{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var rows = ParseCsv(body.TrimStart('\uFEFF'));
        Assert.Equal(Header, rows[0]);
        return [.. rows.Skip(1).Select(r => Header.Zip(r).ToDictionary(p => p.First, p => p.Second))];
    }

    private async Task<List<JsonElement>> Ndjson(string query, bool byAccept = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/consent/events/export?{(byAccept ? "" : "format=ndjson&")}{query}");
        if (byAccept)
        {
            request.Headers.Accept.Clear();
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        }

        using var response = await factory.ClientWithKey(PrivacyApiFactory.Keys[Roles.Ops]).SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(".ndjson\"", response.Content.Headers.ContentDisposition?.ToString());
        return [.. body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
    }

    private async Task<(string Visitor, Guid Decision, Guid Withdrawal)> DecisionAndWithdrawal()
    {
        var visitor = NewVisitorId();
        var decided = await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted"), ("cookies.preferences", "denied")]));
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        using var withdrawal = await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals", new
        {
            purposes = new[] { "cookies.statistics" }, channel = "settings_page", language = "en", proof = new { ipAddress = Ip, userAgent = UserAgent },
        });
        var withdrawn = await withdrawal.ReadOk<JsonElement>(HttpStatusCode.Created);
        return (visitor, decided.GetProperty("receiptId").GetGuid(), withdrawn.GetProperty("receiptId").GetGuid());
    }

    [Fact]
    public async Task TheCsvExportHasOneLinePerChoiceOfEachDecisionAndWithdrawalWithItsProof()
    {
        var from = Start();
        var (visitor, decision, withdrawal) = await DecisionAndWithdrawal();

        using var response = await _ops.GetAsync($"/consent/events/export?format=csv&{Query(from)}");
        var rows = await Csv(Query(from));

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.EndsWith(".csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal(
            [(decision, "decision", "cookies.preferences", "false"), (decision, "decision", "cookies.statistics", "true"), (withdrawal, "withdrawal", "cookies.statistics", "false")],
            rows.Select(r => (Guid.Parse(r["receipt_id"]), r["kind"], r["purpose"], r["granted"])));
        var first = rows[0];
        Assert.Equal(from.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"), first["occurred_at"]);
        Assert.Equal(("visitor", visitor, SeedVersion, "banner", "banner-v1-sv", "sv", "false", "", "test-frontend", "false"),
            (first["subject_type"], first["subject_id"], first["policy_version"], first["channel"], first["notice_id"], first["language"],
                first["gpc"], first["gpc_source"], first["recorded_by"], first["requested"]));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(BannerText))), first["notice_hash"]);
        Assert.Equal((Ip, UserAgent, "test-1", ""), (first["ip_address"], first["user_agent"], first["key_id"], first["proof_erased_at"]));
        Assert.Matches("^[0-9a-f]{64}$", first["ip_address_hash"]);
        Assert.Matches("^[0-9a-f]{64}$", first["user_agent_hash"]);
        var withdrawn = rows[2];
        Assert.Equal(("settings_page", "en", ""), (withdrawn["channel"], withdrawn["language"], withdrawn["notice_hash"]));
    }

    [Fact]
    public async Task TheNdjsonExportHasTheSameLinesAsJsonObjectsChosenByFormatOrAccept()
    {
        var from = Start();
        var (visitor, decision, withdrawal) = await DecisionAndWithdrawal();

        var lines = await Ndjson(Query(from));
        var byAccept = await Ndjson(Query(from), byAccept: true);

        Assert.Equal(lines.Select(l => l.GetRawText()), byAccept.Select(l => l.GetRawText()));
        Assert.Equal(
            [(decision, "decision", "cookies.preferences", false), (decision, "decision", "cookies.statistics", true), (withdrawal, "withdrawal", "cookies.statistics", false)],
            lines.Select(l => (l.GetProperty("receiptId").GetGuid(), l.GetProperty("kind").GetString(), l.GetProperty("purpose").GetString(),
                l.GetProperty("granted").GetBoolean())));
        var first = lines[0];
        Assert.Equal(("visitor", visitor, "banner", Ip, UserAgent, "test-1"), (first.GetProperty("subjectType").GetString(),
            first.GetProperty("subjectId").GetString(), first.GetProperty("channel").GetString(), first.GetProperty("ipAddress").GetString(),
            first.GetProperty("userAgent").GetString(), first.GetProperty("keyId").GetString()));
        Assert.Equal(from, first.GetProperty("occurredAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("gpcSource").ValueKind);
        Assert.Equal(JsonValueKind.Null, lines[2].GetProperty("noticeHash").ValueKind);
    }

    [Fact]
    public async Task EachFilterNarrowsTheExport()
    {
        var from = Start();
        var visitor = NewVisitorId();
        var customer = NewCustomerNumber();
        await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted"), ("cookies.preferences", "denied")]));
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        var middle = factory.Time.GetUtcNow();
        await _frontend.Record(Decision("customer", customer, [("newsletter", "granted")]));
        var version = $"export-{from:yyyyMMdd}";
        using var published = await _ops.PostJson("/consent/policy-versions", new
        {
            version, effectiveFrom = factory.Time.GetUtcNow().AddMinutes(1), material = false, textSv = "Policy", textEn = "Policy",
        });
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "denied")], policyVersion: version));

        string Line(Dictionary<string, string> r) => $"{r["subject_type"]} {r["purpose"]} {r["policy_version"]} {r["channel"]}";
        async Task<string[]> Lines(string more) => [.. (await Csv(Query(from, more))).Select(Line)];

        var visitorBanner = new[] { $"visitor cookies.preferences {SeedVersion} banner", $"visitor cookies.statistics {SeedVersion} banner" };
        var customerNewsletter = $"customer newsletter {SeedVersion} settings_page";
        var later = $"visitor cookies.statistics {version} banner";
        string[] all = [.. visitorBanner, customerNewsletter, later];
        Assert.Equal(all, await Lines(""));
        Assert.Equal([customerNewsletter, later], [.. (await Csv(Query(middle))).Select(Line)]); // from is inclusive
        Assert.Equal(visitorBanner, await Lines($"&to={Uri.EscapeDataString(middle.ToString("O"))}")); // to is exclusive: the customer's event is at it
        Assert.Equal([customerNewsletter], await Lines("&purpose=newsletter"));
        Assert.Equal([visitorBanner[1], later], await Lines("&purpose=cookies.statistics")); // that purpose's lines only
        Assert.Equal([customerNewsletter], await Lines("&channel=settings_page"));
        Assert.Equal([later], await Lines($"&policyVersion={version}"));
        Assert.Equal([customerNewsletter], await Lines("&subjectType=customer"));
        string[] visitors = [.. visitorBanner, later];
        Assert.Equal(visitors, await Lines("&subjectType=visitor"));
        Assert.Equal([visitorBanner[1]], await Lines($"&subjectType=visitor&purpose=cookies.statistics&policyVersion={SeedVersion}"));
    }

    [Theory]
    [InlineData("format=xml", "format")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-02-30T25:61:00Z", "to")]
    [InlineData("from=2026-11-26T00:00:00Z&to=2026-11-25T00:00:00Z", "to")]
    [InlineData("purpose=no.such.purpose", "purpose")]
    [InlineData("channel=carrier_pigeon", "channel")]
    [InlineData("channel=SettingsPage", "channel")]
    [InlineData("policyVersion=1999-01-01", "policyVersion")]
    [InlineData("subjectType=robot", "subjectType")]
    public async Task ABadParameterIsRefusedNamingItAndNothingIsAudited(string query, string field)
    {
        var audited = await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'consent.events_exported'");

        using var response = await _ops.GetAsync($"/consent/events/export?{query}");

        Assert.Equal([field], await response.AssertValidationErrors());
        Assert.Equal(audited, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'consent.events_exported'"));
    }

    [Fact]
    public async Task AnEmptyRangeIsAnExportWithTheHeaderOnly()
    {
        var from = Start();
        await _frontend.Record(Decision("visitor", NewVisitorId(), [("cookies.statistics", "granted")]));

        Assert.Empty(await Csv($"{Query(from)}&to={Uri.EscapeDataString(from.ToString("O"))}"));
    }

    [Theory]
    [InlineData(Roles.Frontend)]
    [InlineData(Roles.Banner)]
    [InlineData(Roles.Partner)]
    [InlineData(Roles.System)]
    [InlineData(Roles.Metrics)]
    [InlineData(null)]
    public async Task OnlyOpsMayExport(string? role)
    {
        using var response = await factory.Client(role).GetAsync("/consent/events/export?format=csv");

        await response.AssertProblem(role is null ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task EachExportIsAuditedWithItsFiltersAndNoPersonalData()
    {
        var from = Start();
        var (visitor, _, _) = await DecisionAndWithdrawal();

        await Csv(Query(from, "&purpose=cookies.statistics&subjectType=visitor"));

        await using var connection = await factory.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT actor_key_id || ' ' || details::text FROM privacy.audit_entries WHERE action = 'consent.events_exported' ORDER BY id DESC LIMIT 1", connection);
        var entry = (string)(await command.ExecuteScalarAsync())!;
        Assert.StartsWith("test-ops ", entry);
        Assert.Contains("\"purpose\": \"cookies.statistics\"", entry);
        Assert.Contains("\"subjectType\": \"visitor\"", entry);
        Assert.Contains("\"format\": \"csv\"", entry);
        Assert.DoesNotContain(visitor, entry);
        Assert.DoesNotContain(Ip, entry);
    }

    [Fact]
    public async Task AProofsClearValuesAreExportedWhileTheirPeriodRunsAndNeverAfterEvenBeforeTheSweep()
    {
        // consent_proof × user.device.ip_address: P12M from when the consent ended; a later decision of the subject ends it.
        var from = Start();
        var visitor = NewVisitorId();
        var first = (await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]))).GetProperty("receiptId").GetGuid();
        factory.Time.Advance(TimeSpan.FromDays(1));
        var superseded = factory.Time.GetUtcNow();
        var second = (await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "denied")]))).GetProperty("receiptId").GetGuid();
        factory.Time.Advance(superseded.AddMonths(12) - factory.Time.GetUtcNow() - TimeSpan.FromSeconds(1));

        var before = (await Csv(Query(from))).ToDictionary(r => Guid.Parse(r["receipt_id"]));
        factory.Time.Advance(TimeSpan.FromSeconds(2));
        var after = (await Csv(Query(from))).ToDictionary(r => Guid.Parse(r["receipt_id"]));
        var lines = await Ndjson(Query(from));

        Assert.Equal((Ip, UserAgent), (before[first]["ip_address"], before[first]["user_agent"]));
        Assert.Equal(("", ""), (after[first]["ip_address"], after[first]["user_agent"]));
        Assert.Equal(before[first]["ip_address_hash"], after[first]["ip_address_hash"]); // the keyed hashes stay as proof
        Assert.Matches("^[0-9a-f]{64}$", after[first]["user_agent_hash"]);
        var firstLine = lines.Single(l => l.GetProperty("receiptId").GetGuid() == first);
        Assert.Equal(JsonValueKind.Null, firstLine.GetProperty("ipAddress").ValueKind);
        Assert.Equal(JsonValueKind.Null, firstLine.GetProperty("userAgent").ValueKind);
        Assert.Equal((Ip, UserAgent), (after[second]["ip_address"], after[second]["user_agent"])); // its consent has not ended
        // No sweep has run: the table still holds the clear values the export withheld.
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_proofs WHERE event_id = $1 AND ip_address IS NOT NULL AND user_agent IS NOT NULL", first));
    }

    [Fact]
    public async Task CsvCellsAreQuotedAsRfc4180AndNeverStartAFormula()
    {
        var from = Start();
        string[] notices = ["=HYPERLINK(\"https://evil.example\")", "+1+1", "-2", "@SUM(A1)", "\tTab", "a,b \"c\"\r\nd"];
        foreach (var notice in notices)
        {
            await _ops.Record(new
            {
                subject = new { type = "visitor", id = NewVisitorId() }, choices = new[] { new { purpose = "cookies.statistics", status = "granted" } },
                policyVersion = SeedVersion, channel = "banner", notice = new { id = notice, text = BannerText }, language = "sv",
                proof = new { ipAddress = Ip, userAgent = "Agent, with \"quotes\"\nand a line break" },
            });
            factory.Time.Advance(TimeSpan.FromSeconds(1));
        }

        using var response = await _ops.GetAsync($"/consent/events/export?format=csv&{Query(from)}");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var raw = Encoding.UTF8.GetString(bytes.AsSpan(3));
        var rows = await Csv(Query(from));

        Assert.Equal(["'=HYPERLINK(\"https://evil.example\")", "'+1+1", "'-2", "'@SUM(A1)", "'\tTab", "a,b \"c\"\r\nd"], rows.Select(r => r["notice_id"]));
        Assert.All(rows, r => Assert.Equal("Agent, with \"quotes\"\nand a line break", r["user_agent"]));
        Assert.Contains(",\"'=HYPERLINK(\"\"https://evil.example\"\")\",", raw);
        Assert.Contains(",\"a,b \"\"c\"\"\r\nd\",", raw);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]); // spreadsheets read UTF-8 by its BOM
        Assert.StartsWith("receipt_id,occurred_at,", raw);
        Assert.EndsWith("\r\n", raw);
        // NDJSON is data, not a spreadsheet: the values as stored.
        Assert.Equal(notices, (await Ndjson(Query(from))).Select(l => l.GetProperty("noticeId").GetString()));
    }

    /// <summary>RFC 4180: fields separated by commas, records by CRLF; a quoted field may hold both, and "" for a quote.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                Assert.True(cell.Length == 0, "a quote inside an unquoted field");
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(cell.ToString());
                cell.Clear();
                rows.Add([.. row]);
                row.Clear();
                i++;
            }
            else
            {
                Assert.True(c is not ('\r' or '\n'), "a line break outside quotes");
                cell.Append(c);
            }
        }

        Assert.False(quoted, "an unterminated quoted field");
        Assert.True(row.Count == 0 && cell.Length == 0, "the last record has no CRLF");
        return rows;
    }
}

/// <summary>The export across batch boundaries: a service reading two events per batch, with events that share an instant.</summary>
public sealed class ConsentExportBatchTests : IAsyncLifetime
{
    private readonly PrivacyApiFactory _factory = new PrivacyApiFactory().WithSetting("Consent:ExportBatchSize", "2");

    public Task InitializeAsync() => _factory.InitializeAsync();

    public Task DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task ConsentExportReadsEveryEventOnceInOrderAcrossBatches()
    {
        var frontend = _factory.Client(Roles.Frontend);
        for (var i = 0; i < 7; i++)
        {
            // Three instants, several events at each: the keyset's tie-break on the id must neither skip nor repeat one.
            await frontend.Record(Decision("visitor", NewVisitorId(), [("cookies.statistics", "granted"), ("cookies.preferences", "denied")]));
            if (i % 3 == 2)
            {
                _factory.Time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        await using var connection = await _factory.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT id FROM privacy.consent_events ORDER BY occurred_at, id", connection);
        var expected = new List<Guid>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                expected.Add(reader.GetGuid(0));
            }
        }

        var body = await _factory.Client(Roles.Ops).GetStringAsync("/consent/events/export?format=ndjson");
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.Equal(7, expected.Count);
        Assert.Equal(expected.SelectMany(id => new[] { (id, "cookies.preferences"), (id, "cookies.statistics") }),
            lines.Select(l => (l.GetProperty("receiptId").GetGuid(), l.GetProperty("purpose").GetString()!)));
    }
}
