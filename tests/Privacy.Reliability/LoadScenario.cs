using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Privacy.Benchmarks;

namespace Privacy.Reliability;

/// <summary>What one kind of operation came to: tried, acknowledged (a 2xx reached the caller), found afterwards, delivered.</summary>
internal sealed record Tally(string Operation, int Attempted, int Acknowledged, long Found, long? Delivered)
{
    public long Lost => Acknowledged - Found + (Delivered is { } delivered ? Found - delivered : 0);
}

/// <summary>
/// Three instances against one PostgreSQL with website, ops and partner traffic flowing, and a fault injected again and again
/// (<see cref="Fault"/>: an instance killed with SIGKILL, PostgreSQL restarted, the data keys rotated). Callers retry a failed
/// call on another instance with the same Idempotency-Key, as a client behind a load balancer would. Afterwards: every
/// acknowledged consent decision, disclosure, follow-up and rights request is in the database, every message to the partners was
/// delivered at least once, signed with the partner's secret, and never twice at the same time, no rights request or task exists
/// twice, every acknowledged consent proof still checks and every disclosed personnummer still finds its customer. While the
/// faults last, every answer is counted by kind: a 503 problem document is expected, a 500 or a hang is a failure.
/// </summary>
internal sealed class LoadScenario(Options options, string dll, string connectionString, Fault fault)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // What every consent decision's proof records; checked against its keyed hashes afterwards.
    private const string ProofIpAddress = "198.51.100.7";
    private const string ProofUserAgent = "reliability";

    private readonly ConcurrentBag<Guid> _receipts = [];
    private readonly ConcurrentDictionary<string, string> _disclosed = new(); // customer number → the personnummer disclosed with it
    private readonly ConcurrentBag<long> _followUps = [];
    private readonly ConcurrentBag<Guid> _requests = [];
    private readonly ConcurrentDictionary<string, int> _attempted = new();
    private readonly ConcurrentDictionary<string, int> _failed = new();
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private readonly ConcurrentQueue<long> _successes = new();
    private readonly ConcurrentQueue<long> _faultsOver = new();
    private TimeSpan _loadLasted;

    public async Task<(IReadOnlyList<Tally> Tallies, IReadOnlyList<string> Findings)> RunAsync(CancellationToken cancellationToken)
    {
        await using var card = await DeliveryLog.StartAsync(TimeSpan.FromMilliseconds(20));
        await using var invoicing = await DeliveryLog.StartAsync(TimeSpan.FromMilliseconds(20));
        var partners = new Partners(card, invoicing);
        var settings = new Dictionary<string, string>
        {
            // A killed relay's claims come free after ten seconds, not two minutes; a delivery (4 attempts) must fit in the lease.
            ["Notifier__ClaimLease"] = "00:00:10",
            ["Notifier__AttemptTimeout"] = "00:00:02",
            ["Notifier__ImmediateRetryDelay"] = "00:00:00.200",
            // A short persistent schedule (the last delay repeats), so that what failed during a fault arrives within the run.
            ["Notifier__RetrySchedule__0"] = "00:00:01",
            ["Notifier__RetrySchedule__1"] = "00:00:02",
            ["Notifier__RetrySchedule__2"] = "00:00:05",
            ["Retention__SweepEnabled"] = "false",
            ["Logging__LogLevel__Default"] = "Error", // the faults make warnings by the thousand; errors (a 500) still show
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Critical", // its connection errors while PostgreSQL is down
        };
        foreach (var (name, value) in fault.Settings)
        {
            settings[name] = value;
        }

        await using var fleet = new Fleet(dll, connectionString, settings);
        await fleet.StartAsync(options.Instances, cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) }; // longer than any answer should take: a hang
        foreach (var (recipient, endpoint) in new[] { ("card-provider", card), ("invoicing-partner", invoicing) })
        {
            using var register = await Send(http, fleet, HttpMethod.Put, $"/notifier/endpoints/{recipient}", "bench-ops", new { url = endpoint.Url },
                idempotent: false, cancellationToken);
            register.EnsureSuccessStatusCode();
            // The first registration answers the signing secret, once: the partner verifies every delivery with it.
            var registered = await register.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
            endpoint.Trust(registered.TryGetProperty("secret", out var secret) && secret.GetString() is { } value ? value
                : throw new InvalidOperationException($"Registering {recipient}'s endpoint answered no secret."));
        }

        // No fault begins after --seconds; the load stops then too, or, for a fault that must end under load, once the one begun ends.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(options.Seconds));
        using var load = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var loadEnds = fault.EndsUnderLoad ? default : stop.Token.Register(load.Cancel);
        var loadStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, options.Workers).Select(_ => Task.Run(() => WorkAsync(http, fleet, load.Token), CancellationToken.None)).ToList();
        var faults = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(options.FaultEvery), stop.Token);
                var what = await fault.InjectAsync(fleet, partners, faults++, load.Token, cancellationToken);
                _faultsOver.Enqueue(System.Diagnostics.Stopwatch.GetTimestamp());
                Console.Error.WriteLine($"  {what} ({faults} so far)");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        await load.CancelAsync();
        await Task.WhenAll(workers);
        _loadLasted = System.Diagnostics.Stopwatch.GetElapsedTime(loadStarted);
        Console.Error.WriteLine("  load stopped; waiting for the outbox to drain…");
        await using var db = new NpgsqlDataSourceBuilder(connectionString).Build();
        var drained = await DrainAsync(db, cancellationToken);
        var findings = Findings(partners, faults, drained);
        findings.AddRange(await CheckProofsAsync(http, fleet, cancellationToken));
        findings.AddRange(await CheckPersonnummerAsync(http, fleet, db, cancellationToken));
        findings.AddRange(await CheckDataKeysAsync(http, fleet, db, cancellationToken));
        if (!drained)
        {
            await using var why = db.CreateCommand("""
                SELECT coalesce(last_error, '(no error)') || ' × ' || count(*) FROM privacy.outbox_messages
                WHERE recipient_key IN ('card-provider', 'invoicing-partner') AND delivered_at IS NULL GROUP BY last_error ORDER BY count(*) DESC LIMIT 5
                """);
            await using var reader = await why.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                findings.Add("undelivered: " + reader.GetString(0));
            }
        }

        return (await TallyAsync(db, partners), findings);
    }

    private async Task WorkAsync(HttpClient http, Fleet fleet, CancellationToken stop)
    {
        var round = 0;
        while (!stop.IsCancellationRequested)
        {
            var customer = Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var consent = await Ack<JsonElement>(http, fleet, "consent decisions", HttpMethod.Post, "/consent/decisions", "bench-frontend", new
            {
                subject = new { type = "customer", id = customer },
                choices = new[] { new { purpose = "newsletter", status = "granted" }, new { purpose = "cookies.statistics", status = "denied" } },
                policyVersion = "2022-02-08", channel = "signup_form", notice = new { id = "banner-v1-sv", text = "Vi använder kakor." }, language = "sv",
                proof = new { ipAddress = ProofIpAddress, userAgent = ProofUserAgent },
            }, stop);
            if (consent is { } c)
            {
                _receipts.Add(c.GetProperty("receiptId").GetGuid());
            }

            // The invoicing partner is registered to receive personnummer for billing; the card provider is not, so it gets none.
            var personnummer = Personnummer.Random();
            var disclosed = await Ack<JsonElement>(http, fleet, "disclosures", HttpMethod.Post, "/disclosures", "bench-ops", new
            {
                disclosures = new object[]
                {
                    new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.name" }, purpose = "customer_obligations",
                          legalGround = "contract", disclosedAt = DateTimeOffset.UtcNow },
                    new { recipient = "invoicing-partner", customerNumber = customer,
                          categories = new[] { "user.name", "user.government_id.national_identification_number" }, purpose = "billing",
                          legalGround = "contract", disclosedAt = DateTimeOffset.UtcNow, nationalIdentityNumber = personnummer },
                },
            }, stop);
            if (disclosed is not null)
            {
                _disclosed[customer] = personnummer;
                var raised = await Ack<JsonElement>(http, fleet, "follow-ups", HttpMethod.Post, "/follow-ups", "bench-ops", new
                {
                    customerNumber = customer, action = "rectify", corrections = new Dictionary<string, string> { ["user.name"] = "Anna Andersson" },
                    reason = "Reliability suite", reference = $"reliability:{customer}",
                }, stop);
                foreach (var followUp in raised?.GetProperty("followUps").EnumerateArray() ?? default)
                {
                    _followUps.Add(followUp.GetProperty("id").GetInt64());
                }
            }

            if (round++ % 3 == 0)
            {
                var request = await Ack<JsonElement>(http, fleet, "rights requests", HttpMethod.Post, "/requests", "bench-frontend", new
                {
                    type = "erasure", subject = new { customerNumber = customer },
                }, stop, signedInCustomer: customer);
                if (request is { } r)
                {
                    _requests.Add(r.GetProperty("id").GetGuid());
                }
            }
        }
    }

    /// <summary>Calls until a 2xx, retrying on a dead instance or a 503 with the same Idempotency-Key; null when not acknowledged.</summary>
    private async Task<T?> Ack<T>(HttpClient http, Fleet fleet, string operation, HttpMethod method, string path, string key, object body,
        CancellationToken stop, string? signedInCustomer = null) where T : struct
    {
        _attempted.AddOrUpdate(operation, 1, (_, n) => n + 1);
        var idempotencyKey = Guid.NewGuid().ToString();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                using var response = await Send(http, fleet, method, path, key, body, idempotent: true, CancellationToken.None, idempotencyKey,
                    signedInCustomer);
                Count(response);
                if (response.IsSuccessStatusCode)
                {
                    _successes.Enqueue(System.Diagnostics.Stopwatch.GetTimestamp());
                    return await response.Content.ReadFromJsonAsync<T>(Json, CancellationToken.None);
                }

                if (response.StatusCode != HttpStatusCode.ServiceUnavailable && (int)response.StatusCode < 500)
                {
                    Console.Error.WriteLine($"  {operation}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                    break; // a 4xx is an answer, not a fault: counted as not acknowledged
                }
            }
            catch (HttpRequestException)
            {
                _answers.AddOrUpdate("no answer: connection failed (instance gone)", 1, (_, n) => n + 1);
            }
            catch (TaskCanceledException)
            {
                _answers.AddOrUpdate("NO ANSWER WITHIN 15 s (a hang)", 1, (_, n) => n + 1);
            }

            if (stop.IsCancellationRequested && attempt > 5)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * (attempt + 1)), CancellationToken.None);
        }

        _failed.AddOrUpdate(operation, 1, (_, n) => n + 1);
        return null;
    }

    private void Count(HttpResponseMessage response)
    {
        var kind = (int)response.StatusCode switch
        {
            < 300 => "2xx",
            503 when response.Content.Headers.ContentType?.MediaType == "application/problem+json" => "503 problem document (retry)",
            >= 500 => $"{(int)response.StatusCode} WITHOUT A RETRYABLE PROBLEM",
            _ => $"{(int)response.StatusCode}",
        };
        _answers.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, Fleet fleet, HttpMethod method, string path, string key, object body,
        bool idempotent, CancellationToken cancellationToken, string? idempotencyKey = null, string? signedInCustomer = null)
    {
        using var request = new HttpRequestMessage(method, fleet.AnyUrl() + path) { Content = JsonContent.Create(body, options: Json) };
        request.Headers.Add("X-Api-Key", ServiceUnderTest.Keys[key].Key);
        if (signedInCustomer is not null)
        {
            request.Headers.Add("X-Signed-In-Customer", signedInCustomer); // the website acts for the signed-in customer
        }

        if (idempotent)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey ?? Guid.NewGuid().ToString());
        }

        return await http.SendAsync(request, cancellationToken);
    }

    private static async Task<bool> DrainAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        for (var second = 0; second < 180; second++)
        {
            await using var pending = db.CreateCommand("""
                SELECT count(*) FROM privacy.outbox_messages
                WHERE recipient_key IN ('card-provider', 'invoicing-partner') AND delivered_at IS NULL AND dead_lettered_at IS NULL
                """);
            if ((long)(await pending.ExecuteScalarAsync(cancellationToken))! == 0)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        return false;
    }

    private async Task<IReadOnlyList<Tally>> TallyAsync(NpgsqlDataSource db, Partners partners)
    {
        async Task<long> Count(string sql, object parameter)
        {
            await using var command = db.CreateCommand(sql);
            command.Parameters.AddWithValue(parameter);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        var delivered = partners.Card.Deliveries.Concat(partners.Invoicing.Deliveries).Select(d => d.Id).ToHashSet();
        var messages = new List<Guid>();
        await using (var command = db.CreateCommand("SELECT message_id FROM privacy.follow_ups WHERE id = ANY($1)"))
        {
            command.Parameters.AddWithValue(_followUps.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                messages.Add(reader.GetGuid(0));
            }
        }

        async Task<List<Guid>> MessagesTo(string recipient)
        {
            var ids = new List<Guid>();
            await using var command = db.CreateCommand("SELECT message_id FROM privacy.outbox_messages WHERE recipient_key = $1");
            command.Parameters.AddWithValue(recipient);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetGuid(0));
            }

            return ids;
        }

        var toCard = await MessagesTo("card-provider");
        var toInvoicing = await MessagesTo("invoicing-partner");
        int Attempted(string operation) => _attempted.GetValueOrDefault(operation);
        return
        [
            new("consent decisions", Attempted("consent decisions"), _receipts.Count,
                await Count("SELECT count(*) FROM privacy.consent_events WHERE id = ANY($1)", _receipts.ToArray()), null),
            new("disclosures", Attempted("disclosures"), _disclosed.Count,
                await Count("SELECT count(DISTINCT customer_number) FROM privacy.disclosures WHERE customer_number = ANY($1)", _disclosed.Keys.ToArray()), null),
            new("follow-ups (one per partner) → webhooks", Attempted("follow-ups") * 2, _followUps.Count, messages.Count,
                messages.Count(m => delivered.Contains(m.ToString()))),
            new("all messages to the card partner", toCard.Count, toCard.Count, toCard.Count, toCard.Count(m => delivered.Contains(m.ToString()))),
            new("all messages to the invoicing partner", toInvoicing.Count, toInvoicing.Count, toInvoicing.Count,
                toInvoicing.Count(m => delivered.Contains(m.ToString()))),
            new("rights requests", Attempted("rights requests"), _requests.Count,
                await Count("SELECT count(*) FROM privacy.rights_requests WHERE id = ANY($1)", _requests.ToArray()), null),
        ];
    }

    private List<string> Findings(Partners partners, int faults, bool drained)
    {
        var recoveries = _faultsOver.Select(over => _successes.Where(t => t > over).DefaultIfEmpty(long.MaxValue).Min() - over)
            .Where(d => d < long.MaxValue / 2).Select(d => d * 1000.0 / System.Diagnostics.Stopwatch.Frequency).ToList();
        var findings = new List<string>
        {
            $"instances: {options.Instances}; faults: {faults} × {fault.Description}; load: {_loadLasted.TotalSeconds:0} s with {options.Workers} callers" +
            (fault.EndsUnderLoad ? $" (asked {options.Seconds} s; it went on until the last fault ended)" : ""),
            "answers: " + string.Join(", ", _answers.OrderBy(a => a.Key).Select(a => $"{a.Key} × {a.Value}")),
            recoveries.Count == 0 ? "recovery: no call succeeded after a fault" :
                $"first success after each fault ended: max {recoveries.Max():F0} ms, median {recoveries.Order().ElementAt(recoveries.Count / 2):F0} ms",
            $"calls not acknowledged after retries (not counted as lost: the caller knows): " +
            string.Join(", ", _failed.Select(f => $"{f.Key} {f.Value}").DefaultIfEmpty("none")),
            $"partner deliveries: card {partners.Card.Deliveries.Count}, invoicing {partners.Invoicing.Deliveries.Count}; redelivered (at least " +
            $"once allows it): {partners.Card.Redeliveries() + partners.Invoicing.Redeliveries()}",
            $"CONCURRENT DUPLICATE deliveries: {partners.Card.ConcurrentDuplicates() + partners.Invoicing.ConcurrentDuplicates()}",
            Signatures(partners),
        };
        if (!drained)
        {
            findings.Add("OUTBOX NOT DRAINED within three minutes");
        }

        if (!partners.DeliveredDuringFaults.IsEmpty)
        {
            findings.Add($"the healthy partner's deliveries while the other was faulty: {string.Join(", ", partners.DeliveredDuringFaults)}" +
                         (partners.DeliveredDuringFaults.Any(n => n == 0) ? " — HEALTHY PARTNER STALLED during a fault" : ""));
        }

        return findings;
    }

    /// <summary>Every delivery that reached a partner, checked against the secret its registration answered.</summary>
    private static string Signatures(Partners partners)
    {
        var verified = partners.Card.Verified + partners.Invoicing.Verified;
        var bad = partners.Card.BadSignatures.Concat(partners.Invoicing.BadSignatures).GroupBy(b => b.Key, b => b.Value)
            .Select(g => (Reason: g.Key, Count: g.Sum())).ToList();
        return bad.Count == 0
            ? $"webhook signatures: all {verified} deliveries verified with the secret each partner registered"
            : $"BAD SIGNATURES: {bad.Sum(b => b.Count)} of {verified + bad.Sum(b => b.Count)} deliveries (" +
              string.Join(", ", bad.Select(b => $"{b.Reason} × {b.Count}")) + ")";
    }

    /// <summary>
    /// Art 7(1): every acknowledged decision's proof, checked through any instance with the address and user agent it was made with,
    /// must match, whichever key hashed it (the answers name it: old and new keys both in play after a rotation).
    /// </summary>
    private async Task<List<string>> CheckProofsAsync(HttpClient http, Fleet fleet, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var underKey = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(_receipts, Checks(cancellationToken), async (receipt, ct) =>
        {
            var (answer, failure) = await Query(http, fleet, HttpMethod.Post, $"/consent/receipts/{receipt}/proof-check",
                new { ipAddress = ProofIpAddress, userAgent = ProofUserAgent }, ct);
            if (answer is { } a)
            {
                underKey.AddOrUpdate(a.GetProperty("keyId").GetString() ?? "(none)", 1, (_, n) => n + 1);
                var (ip, agent) = (a.GetProperty("ipAddress").GetString(), a.GetProperty("userAgent").GetString());
                failure = ip == "matches" && agent == "matches" ? null : $"ipAddress {ip}, userAgent {agent}";
            }

            if (failure is not null)
            {
                failures.AddOrUpdate(failure, 1, (_, n) => n + 1);
            }
        });
        var failed = failures.Values.Sum();
        return
        [
            $"consent proofs checked afterwards (proof-check, any instance, in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0} s): " +
            $"{_receipts.Count - failed} of {_receipts.Count} match, hashed under keys {Keys(underKey)}",
            .. failed == 0 ? Array.Empty<string>() : [$"PROOFS NOT CHECKING: {failed} ({string.Join(", ", failures.Select(f => $"{f.Key} × {f.Value}"))})"],
        ];
    }

    /// <summary>Every acknowledged disclosure's personnummer, searched through any instance, must find its customer, whichever key hashed it.</summary>
    private async Task<List<string>> CheckPersonnummerAsync(HttpClient http, Fleet fleet, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var failures = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(_disclosed, Checks(cancellationToken), async (disclosed, ct) =>
        {
            var (answer, failure) = await Query(http, fleet, HttpMethod.Post, "/disclosures/search",
                new { nationalIdentityNumber = disclosed.Value, limit = 100 }, ct);
            if (answer is { } a && !a.GetProperty("items").EnumerateArray().Any(d => d.GetProperty("customerNumber").GetString() == disclosed.Key))
            {
                failure = "the customer not among the disclosures found";
            }

            if (failure is not null)
            {
                failures.AddOrUpdate(failure, 1, (_, n) => n + 1);
            }
        });
        var underKey = new Dictionary<string, int>();
        await using (var command = db.CreateCommand("""
            SELECT coalesce(national_id_key_id, 'legacy'), count(*)::int FROM privacy.disclosures
            WHERE customer_number = ANY($1) AND national_id_hash IS NOT NULL GROUP BY 1
            """))
        {
            command.Parameters.AddWithValue(_disclosed.Keys.ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                underKey[reader.GetString(0)] = reader.GetInt32(1);
            }
        }

        var failed = failures.Values.Sum();
        return
        [
            $"personnummer searched afterwards (disclosures/search, any instance, in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0} s): " +
            $"{_disclosed.Count - failed} of {_disclosed.Count} find their customer, hashed under keys {Keys(underKey)}",
            .. failed == 0 ? Array.Empty<string>() : [$"PERSONNUMMER NOT MATCHING: {failed} ({string.Join(", ", failures.Select(f => $"{f.Key} × {f.Value}"))})"],
        ];
    }

    /// <summary>
    /// The data keys as every instance reports them (GET /operations/data-keys): one current key per use on all of them, and every
    /// webhook secret under the current secret-encryption key once the rekeying has had time (a few of its intervals).
    /// </summary>
    private static async Task<List<string>> CheckDataKeysAsync(HttpClient http, Fleet fleet, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var findings = new List<string>();
        var reports = new List<(string Url, JsonElement Keys)>();
        foreach (var url in fleet.Urls())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url + "/operations/data-keys");
            request.Headers.Add("X-Api-Key", ServiceUnderTest.Keys["bench-ops"].Key);
            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            reports.Add((url, await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken)));
        }

        static string Currents(JsonElement keys) => string.Join(", ",
            keys.GetProperty("uses").EnumerateArray().Select(u => $"{u.GetProperty("use").GetString()} {u.GetProperty("current").GetString()}"));
        if (reports.Select(r => Currents(r.Keys)).Distinct().Count() > 1)
        {
            findings.Add("INSTANCES DISAGREE ON THE CURRENT KEYS: " + string.Join("; ", reports.Select(r => $"{r.Url}: {Currents(r.Keys)}")));
        }

        var uses = reports[0].Keys.GetProperty("uses").EnumerateArray().ToList();
        findings.Add("data keys at the end (GET /operations/data-keys): " + string.Join("; ", uses.Select(u =>
            $"{u.GetProperty("use").GetString()} current {u.GetProperty("current").GetString()}, " + string.Join(", ", u.GetProperty("keys").EnumerateArray()
                .Select(k => $"{k.GetProperty("id").GetString()} protects {k.GetProperty("protects").GetInt64()}" +
                             (k.GetProperty("retirable").GetBoolean() ? " (retirable)" : ""))))));

        var current = uses.Single(u => u.GetProperty("use").GetString() == "secret_encryption").GetProperty("current").GetString()!;
        var rekeyedWithin = TimeSpan.FromSeconds(20);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Dictionary<string, int> secrets;
        while (true)
        {
            secrets = [];
            await using (var command = db.CreateCommand("SELECT key_id, count(*)::int FROM privacy.webhook_secrets GROUP BY key_id"))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    secrets[reader.GetString(0)] = reader.GetInt32(1);
                }
            }

            if (secrets.Keys.All(k => k == current) || System.Diagnostics.Stopwatch.GetElapsedTime(started) > rekeyedWithin)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        findings.Add(secrets.Keys.All(k => k == current)
            ? $"webhook secrets: all {secrets.Values.Sum()} under the current secret-encryption key {current}"
            : $"WEBHOOK SECRETS NOT UNDER THE CURRENT KEY {current} after {rekeyedWithin.TotalSeconds:0} s: {Keys(secrets)}");
        return findings;
    }

    private ParallelOptions Checks(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = options.Workers, CancellationToken = cancellationToken };

    private static string Keys(IEnumerable<KeyValuePair<string, int>> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} × {c.Value}").DefaultIfEmpty("(none)"));

    /// <summary>An ops query after the load, on any instance, retried a few times on a 503 or a lost connection; the answer or why not.</summary>
    private static async Task<(JsonElement? Answer, string? Failure)> Query(HttpClient http, Fleet fleet, HttpMethod method, string path, object body,
        CancellationToken cancellationToken)
    {
        var failure = "";
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                using var response = await Send(http, fleet, method, path, "bench-ops", body, idempotent: false, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return (await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken), null);
                }

                failure = $"answered {(int)response.StatusCode}";
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                failure = "no answer";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 * (attempt + 1)), cancellationToken);
        }

        return (null, failure);
    }

    /// <summary>Rights requests duplicated by a retried call, and tasks created twice for one request and target.</summary>
    public async Task<(long Requests, long Tasks)> DuplicatesAsync(CancellationToken cancellationToken)
    {
        await using var db = new NpgsqlDataSourceBuilder(connectionString).Build();
        await using var requests = db.CreateCommand("""
            SELECT count(*) FROM (SELECT customer_number FROM privacy.rights_requests WHERE channel = 'Web' GROUP BY customer_number HAVING count(*) > 1) d
            """);
        await using var tasks = db.CreateCommand("""
            SELECT count(*) FROM (SELECT request_id, target FROM privacy.rights_request_tasks GROUP BY request_id, target HAVING count(*) > 1) d
            """);
        return ((long)(await requests.ExecuteScalarAsync(cancellationToken))!, (long)(await tasks.ExecuteScalarAsync(cancellationToken))!);
    }
}
