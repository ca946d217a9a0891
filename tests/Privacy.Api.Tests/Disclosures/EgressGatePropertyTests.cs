using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;
using static Privacy.Api.Tests.Notifications.NotifierTestSupport;

namespace Privacy.Api.Tests.Disclosures;

/// <summary>
/// The egress gate as a property (Art 5(1)(b)–(c), Art 19, Art 30(1)(d)). Random sequences of what the real callers do (systems
/// recording disclosures, the website recording consent and submitting a signed-in customer's requests, ops and systems raising
/// follow-ups, ops entering requests from letters, partners acknowledging, systems answering tasks, retention sweeps as time
/// passes) over a few customers and both partners; rectifications carry a unique marker value per category, for categories
/// across the whole registry. Then, for every webhook body each party's loopback receiver got, every entry of each partner's
/// feed and every pending task a system reads with its own key:
/// <list type="number">
/// <item>a recipient is named only categories the registry links to it and the disclosure log says it was given;</item>
/// <item>every value a recipient got is recorded in the disclosure log as disclosed to it, for that customer and category,
/// by the follow-up that carried it;</item>
/// <item>an internal system is named (<c>categories</c>, <c>changes</c>) only categories it holds, and a customer number only
/// when it holds <c>user.unique_id</c> (the test adds a system that does not);</item>
/// <item>no marker value reaches a party not allowed its category (the raw body text is searched), and no clear personnummer
/// reaches anyone.</item>
/// </list>
/// The seeds are printed; rerun one with <c>PRIVACY_EGRESS_SEED=&lt;seed&gt;[,&lt;seed&gt;…]</c> (and
/// <c>PRIVACY_EGRESS_OPERATIONS=&lt;n&gt;</c> operations per seed, default 100).
/// </summary>
public sealed partial class EgressGatePropertyTests(NotifierFactory factory, ITestOutputHelper output) : IClassFixture<NotifierFactory>, IAsyncLifetime
{
    public const string SeedVariable = "PRIVACY_EGRESS_SEED";
    public const string OperationsVariable = "PRIVACY_EGRESS_OPERATIONS";
    private const int DefaultSeeds = 3;
    private const int DefaultOperations = 100;
    private const int CustomersPerSeed = 6;
    private const string CustomerNumberCategory = "user.unique_id";
    private const string NationalId = "user.government_id.national_identification_number";

    /// <summary>An internal system the test adds, holding no customer number: nothing it is sent may name one.</summary>
    private const string Analytics = "analytics";

    private static readonly string[] AnalyticsCategories =
        ["user.behavior.browsing_history", "user.device.cookie_id", "user.device.ip_address", "user.demographic.profile"];

    private static readonly string[] ConsentPurposes = ["newsletter", "cookies.preferences", "cookies.statistics", "publication", "third_party_marketing"];
    private static readonly string[] ClockKinds = ["relationship_ended", "relationship_ended", "relationship_ended", "last_activity", "transaction"];
    private static readonly string[] DisclosingSystems = ["booking", "accounting"];

    /// <summary>How long to wait for the relay and the feeds to catch up (a shared, busy machine): a bound on waiting, not on speed.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private readonly HttpClient _ops = factory.Client(Roles.Ops);
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);
    private readonly Dictionary<string, HttpClient> _partners = new(StringComparer.Ordinal)
    {
        ["card-provider"] = factory.Client(Roles.Partner),
        ["invoicing-partner"] = factory.ClientWithKey(PrivacyApiFactory.OtherPartnerKey),
    };

    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WebhookReceiver> _receivers = new(StringComparer.Ordinal);

    // What the test did, over all seeds (customers are fresh per seed, so the model only grows).
    private readonly HashSet<(string Recipient, string Customer, string Category)> _given = [];
    private readonly Dictionary<string, Marker> _markers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _personnummers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _seedOfCustomer = new(StringComparer.Ordinal);

    // Which seed's run each delivery arrived in: receivers' positions at each seed's start, feed and task-list entries when first read.
    private readonly Dictionary<string, List<(int Seed, int Start)>> _seedStarts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _feedEntrySeen = new(StringComparer.Ordinal);

    /// <summary>
    /// The disclosure log as it stood before each long jump's sweep: after the three years the disclosures of customers whose
    /// recipients acknowledged an erasure are anonymised (disclosure_records), and property 2 asks what was logged when sent.
    /// </summary>
    private readonly Dictionary<(string Customer, string Recipient), List<Logged>> _logBeforeLongJumps = [];

    private Registry _registry = null!;

    private sealed record Marker(string Category, string Customer, int Seed, string Origin);

    /// <summary>One thing a party got: a webhook body or a feed entry, with the customer and follow-up it is about.</summary>
    /// <param name="Arrived">The seed whose run was going on when it arrived (a sweep in a later run may concern an earlier run's customer).</param>
    private sealed record Delivery(string Party, bool IsRecipient, int Arrived, string Source, string Text, JsonElement Root, string? Customer, long? FollowUpId);

    private sealed record Logged(string? Reference, string[] Categories);

    private sealed class Run(int seed)
    {
        public int Seed { get; } = seed;

        public Random Random { get; } = new(seed);

        public List<string> Customers { get; } = [];

        public List<(string Recipient, long Id)> FollowUps { get; } = [];

        public List<(string System, long Id)> Tasks { get; } = [];

        /// <summary>Each request's open work: its system tasks and its recipients' follow-ups.</summary>
        public List<List<(string Target, long Id, bool ViaFollowUp)>> OpenRequests { get; } = [];

        public SortedDictionary<string, int> Answers { get; } = new(StringComparer.Ordinal);

        public int Operation { get; set; }

        public bool LongJumpTaken { get; set; }

        public void Count(string what) => Answers[what] = Answers.GetValueOrDefault(what) + 1;
    }

    private sealed class Tally
    {
        public int Webhooks { get; set; }

        public int FeedEntries { get; set; }

        public int TaskListEntries { get; set; }

        public int RecipientValues { get; set; }

        public int SystemValues { get; set; }

        public HashSet<string> MarkersSeen { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The registry as the API shows it: all categories, recipient → purpose → categories, system → categories.</summary>
    private sealed record Registry(
        IReadOnlyList<string> Categories,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string[]>> Links,
        IReadOnlyDictionary<string, IReadOnlySet<string>> Systems)
    {
        public IReadOnlySet<string> LinkedTo(string recipient) =>
            Links.TryGetValue(recipient, out var byPurpose) ? byPurpose.Values.SelectMany(c => c).ToHashSet(StringComparer.Ordinal) : new HashSet<string>();

        public static async Task<Registry> ReadAsync(HttpClient client)
        {
            var categories = (await client.GetFromJsonAsync<JsonElement>("/registry/categories")).EnumerateArray()
                .Select(c => c.GetProperty("key").GetString()!).Order(StringComparer.Ordinal).ToList();
            var links = (await client.GetFromJsonAsync<JsonElement>("/registry/links")).EnumerateArray()
                .Where(l => l.GetProperty("recipient").ValueKind == JsonValueKind.String && l.GetProperty("retiredAt").ValueKind == JsonValueKind.Null)
                .GroupBy(l => l.GetProperty("recipient").GetString()!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, string[]>)g
                    .GroupBy(l => l.GetProperty("purpose").GetString()!, StringComparer.Ordinal)
                    .ToDictionary(p => p.Key, p => p.Select(l => l.GetProperty("category").GetString()!).Order(StringComparer.Ordinal).ToArray()),
                    StringComparer.Ordinal);
            var systems = (await client.GetFromJsonAsync<JsonElement>("/registry/systems")).EnumerateArray()
                .ToDictionary(s => s.GetProperty("key").GetString()!,
                    s => (IReadOnlySet<string>)s.GetProperty("categories").EnumerateArray().Select(c => c.GetString()!).ToHashSet(StringComparer.Ordinal),
                    StringComparer.Ordinal);
            return new Registry(categories, links, systems);
        }
    }

    public async Task InitializeAsync()
    {
        using (var created = await _ops.PostJson("/registry/systems", new
               {
                   key = Analytics, name = "Web analytics", description = "Usage statistics of the website, kept without customer numbers.",
                   categories = AnalyticsCategories,
               }))
        {
            await created.ReadOk<JsonElement>(HttpStatusCode.Created);
        }

        _registry = await Registry.ReadAsync(_ops);
        Assert.Equal(_partners.Keys.Order(), _registry.Links.Keys.Order());
        foreach (var party in _partners.Keys.Concat(_registry.Systems.Keys))
        {
            var receiver = await WebhookReceiver.StartAsync();
            _receivers[party] = receiver;
            _seedStarts[party] = [];
            await SetEndpointAsync(factory, receiver.Url, party);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var receiver in _receivers.Values)
        {
            await receiver.DisposeAsync();
        }
    }

    [Fact]
    public async Task WhatLeavesForARecipientOrSystemIsOnlyWhatTheRegistryAllowsItAndEveryValueSentIsLogged()
    {
        var seeds = Seeds();
        var operations = int.TryParse(Environment.GetEnvironmentVariable(OperationsVariable), CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : DefaultOperations;
        output.WriteLine($"Seeds {string.Join(", ", seeds)}, {operations} operations each (rerun one with {SeedVariable}=<seed>).");
        output.WriteLine("Parties with receivers: " + string.Join(", ", _receivers.Keys.Order(StringComparer.Ordinal)));
        var tally = new Tally();
        foreach (var seed in seeds)
        {
            // Act
            var run = new Run(seed);
            await RunAsync(run, operations);
            output.WriteLine($"seed {seed}: " + string.Join("; ", run.Answers.Select(a => $"{a.Key}: {a.Value}")));

            // Assert: over everything delivered so far (earlier seeds' deliveries must still hold)
            await DrainAsync($"seed {seed}");
            await CheckAsync(seeds, seed, tally);
            output.WriteLine("webhooks so far: " + string.Join("; ", _receivers.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} " +
                string.Join(", ", r.Value.Received.GroupBy(c => JsonDocument.Parse(c.Body).RootElement.GetProperty("type").GetString())
                    .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}")))));
            output.WriteLine("retention requests so far: " +
                             await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests WHERE channel = 'Retention'"));
            output.WriteLine($"after seed {seed}: checked {tally.Webhooks} webhook bodies, {tally.FeedEntries} feed entries and " +
                             $"{tally.TaskListEntries} pending tasks systems read; " +
                             $"{tally.RecipientValues} values at recipients, {tally.SystemValues} at systems; " +
                             $"{_markers.Count - tally.MarkersSeen.Count} of {_markers.Count} markers reached no one.");
        }

        // The property was exercised, not vacuously true.
        Assert.True(tally.RecipientValues > 0, $"Seeds {string.Join(", ", seeds)}: no correction value reached a recipient; use more operations.");
        Assert.True(tally.SystemValues > 0, $"Seeds {string.Join(", ", seeds)}: no proposed change reached a system; use more operations.");
        Assert.True(tally.MarkersSeen.Count < _markers.Count, $"Seeds {string.Join(", ", seeds)}: every marker reached someone; nothing was withheld.");
    }

    private static List<int> Seeds()
    {
        var configured = Environment.GetEnvironmentVariable(SeedVariable);
        return string.IsNullOrWhiteSpace(configured)
            ? [.. Enumerable.Range(0, DefaultSeeds).Select(_ => Random.Shared.Next())]
            : [.. configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
    }

    private async Task RunAsync(Run run, int operations)
    {
        foreach (var (party, receiver) in _receivers)
        {
            _seedStarts[party].Add((run.Seed, receiver.Received.Count));
        }

        for (var i = 0; i < CustomersPerSeed; i++)
        {
            var customer = run.Random.NextInt64(1_000_000, 9_999_999_999).ToString(CultureInfo.InvariantCulture);
            run.Customers.Add(customer);
            _seedOfCustomer[customer] = run.Seed;
            _personnummers[customer] = Personnummer(run.Random);
        }

        for (run.Operation = 1; run.Operation <= operations; run.Operation++)
        {
            if (run.Operation <= CustomersPerSeed)
            {
                await DiscloseAsync(run, run.Customers[run.Operation - 1]); // every customer starts known to a partner
                continue;
            }

            var roll = run.Random.Next(100);
            await (roll switch
            {
                < 22 => DiscloseAsync(run, Pick(run.Random, run.Customers)),
                < 28 => ChangeConsentAsync(run),
                < 46 => RaiseRectificationAsync(run),
                < 56 => RaiseOtherFollowUpAsync(run),
                < 70 => RequestChangesAsync(run),
                < 80 => RequestErasureOrRestrictionAsync(run),
                < 84 => AcknowledgeAsync(run),
                < 88 => AnswerTaskAsync(run),
                < 93 => FinishRequestAsync(run),
                _ => RetentionAsync(run),
            });
        }
    }

    // ---- The operations, each as its real caller makes it ----

    /// <summary>A system records what it gave a partner: categories the registry links to that partner for the purpose.</summary>
    private async Task DiscloseAsync(Run run, string customer)
    {
        var rng = run.Random;
        var partners = _partners.Keys.Order(StringComparer.Ordinal).ToList();
        var recipients = rng.Next(3) == 0 ? partners : [Pick(rng, partners)];
        var items = recipients.Select(recipient =>
        {
            var byPurpose = _registry.Links[recipient];
            var purpose = Pick(rng, byPurpose.Keys.Order(StringComparer.Ordinal).ToList());
            var categories = Subset(rng, byPurpose[purpose], 1, 4);
            var number = categories.Contains(NationalId) || rng.Next(4) == 0 ? _personnummers[customer] : null;
            return (Recipient: recipient, Purpose: purpose, Categories: categories, Number: number);
        }).ToList();
        var system = Pick(rng, DisclosingSystems);
        using var response = await SystemClient(system).PostJson("/disclosures", new
        {
            disclosures = items.Select(i => new
            {
                recipient = i.Recipient, customerNumber = customer, categories = i.Categories, purpose = i.Purpose, legalGround = "contract",
                disclosedAt = factory.Time.GetUtcNow(), reference = $"ORDER-{run.Seed}-{run.Operation}", nationalIdentityNumber = i.Number,
            }),
        });
        await Expect(run, "POST /disclosures", response, HttpStatusCode.Created);
        foreach (var item in items)
        {
            foreach (var category in item.Categories)
            {
                _given.Add((item.Recipient, customer, category));
            }
        }
    }

    /// <summary>The website records a signed-in customer's decision, or a withdrawal (Art 7(3)).</summary>
    private async Task ChangeConsentAsync(Run run)
    {
        var rng = run.Random;
        var customer = Pick(rng, run.Customers);
        if (rng.Next(3) > 0)
        {
            var choices = Subset(rng, ConsentPurposes, 1, 3).Select(p => (p, rng.Next(3) > 0 ? "granted" : "denied")).ToList();
            using var decided = await _frontend.PostJson("/consent/decisions", ConsentRequests.Decision("customer", customer, choices));
            await Expect(run, "POST /consent/decisions", decided, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity);
            return;
        }

        var all = rng.Next(4) == 0;
        using var withdrawn = await _frontend.PostJson($"/consent/subjects/customer/{customer}/withdrawals", all
            ? new { purposes = (IReadOnlyList<string>?)null, all = (bool?)true, channel = "settings_page" }
            : new { purposes = (IReadOnlyList<string>?)Subset(rng, ConsentPurposes, 1, 2), all = (bool?)null, channel = "settings_page" });
        await Expect(run, "POST /consent/…/withdrawals" + (all ? " (all)" : ""), withdrawn, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity);
    }

    /// <summary>Ops or a system raise a rectification with corrections keyed by any registry category, sometimes naming the recipient.</summary>
    private async Task RaiseRectificationAsync(Run run)
    {
        var rng = run.Random;
        var customer = Pick(rng, run.Customers);
        var recipient = rng.Next(5) < 2 ? Pick(rng, _partners.Keys.Order(StringComparer.Ordinal).ToList()) : null;
        var (caller, client) = FollowUpCaller(run);
        var what = $"POST /follow-ups rectify by {caller}{(recipient is null ? "" : ", recipient named")}";
        var corrections = NewValues(run, customer, what);
        using var response = await client.PostJson("/follow-ups", new
        {
            customerNumber = customer, action = "rectify", recipient, corrections, reason = "The customer corrected their details",
            reference = $"CASE-{run.Seed}-{run.Operation}",
        });
        NoteFollowUps(run, await Expect(run, what, response, HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity));
    }

    /// <summary>Ops or a system ask the recipients to erase or restrict, for some categories or everything they were given.</summary>
    private async Task RaiseOtherFollowUpAsync(Run run)
    {
        var rng = run.Random;
        var customer = Pick(rng, run.Customers);
        var action = rng.Next(2) == 0 ? "erase" : "restrict";
        var categories = rng.Next(2) == 0 ? null : Subset(rng, _registry.Categories, 1, 3);
        var recipient = rng.Next(4) == 0 ? Pick(rng, _partners.Keys.Order(StringComparer.Ordinal).ToList()) : null;
        var (caller, client) = FollowUpCaller(run);
        using var response = await client.PostJson("/follow-ups", new
        {
            customerNumber = customer, action, categories, recipient, reason = "Handled by customer service", reference = $"CASE-{run.Seed}-{run.Operation}",
        });
        NoteFollowUps(run, await Expect(run, $"POST /follow-ups {action} by {caller}", response,
            HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity));
    }

    /// <summary>A rectification or completion request with proposed values keyed by any registry category.</summary>
    private Task RequestChangesAsync(Run run)
    {
        var customer = Pick(run.Random, run.Customers);
        var type = run.Random.Next(5) == 0 ? "completion" : "rectification";
        return SubmitRequestAsync(run, customer, type, NewValues(run, customer, $"{type} request"), null);
    }

    /// <summary>An erasure, restriction, anonymisation or access request, for some categories or everything.</summary>
    private Task RequestErasureOrRestrictionAsync(Run run)
    {
        var rng = run.Random;
        var customer = Pick(rng, run.Customers);
        var type = rng.Next(10) switch { < 5 => "erasure", < 8 => "restriction", 8 => "anonymisation", _ => "access" };
        return SubmitRequestAsync(run, customer, type, null, rng.Next(2) == 0 ? null : Subset(rng, _registry.Categories, 1, 4));
    }

    /// <summary>The website submits for its signed-in customer (started at once), or ops enter a letter and confirm the identity.</summary>
    private async Task SubmitRequestAsync(Run run, string customer, string type, Dictionary<string, string>? changes, List<string>? categories)
    {
        var rng = run.Random;
        var email = rng.Next(3) == 0 ? NewEmail(run, customer, $"requester's e-mail of a {type} request") : null;
        JsonElement? request;
        if (rng.Next(2) == 0)
        {
            using var submitted = await Website(customer).PostJson("/requests", new
            {
                type, subject = new { customerNumber = customer, email }, changes, categories, language = "sv",
            });
            request = await Expect(run, $"POST /requests {type} (website)", submitted, HttpStatusCode.Created);
        }
        else
        {
            var withNumber = rng.Next(3) == 0;
            using var submitted = await _ops.PostJson("/requests", new
            {
                type, channel = "letter",
                subject = new { customerNumber = customer, email, nationalIdentityNumber = withNumber ? _personnummers[customer] : null },
                changes, categories, language = "sv",
            });
            var id = (await Expect(run, $"POST /requests {type} (letter)", submitted, HttpStatusCode.Created))!.Value.GetProperty("id").GetString();
            using var verified = await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "Signed letter with a copy of an identity document" });
            request = await Expect(run, "POST /requests/{id}/identity-verification", verified, HttpStatusCode.OK);
        }

        var work = new List<(string Target, long Id, bool ViaFollowUp)>();
        foreach (var task in request!.Value.GetProperty("tasks").EnumerateArray().Where(t => t.GetProperty("status").GetString() == "pending"))
        {
            var target = task.GetProperty("target").GetString()!;
            if (task.GetProperty("targetKind").GetString() == "recipient")
            {
                work.Add((target, task.GetProperty("followUpId").GetInt64(), true));
                run.FollowUps.Add((target, task.GetProperty("followUpId").GetInt64()));
            }
            else
            {
                work.Add((target, task.GetProperty("id").GetInt64(), false));
                run.Tasks.Add((target, task.GetProperty("id").GetInt64()));
            }
        }

        if (work.Count > 0)
        {
            run.OpenRequests.Add(work);
        }
    }

    /// <summary>Every system and recipient of one request reports done, so the request completes and the requester is told.</summary>
    private async Task FinishRequestAsync(Run run)
    {
        if (run.OpenRequests.Count == 0)
        {
            await RequestChangesAsync(run);
            return;
        }

        var index = run.Random.Next(run.OpenRequests.Count);
        foreach (var (target, id, viaFollowUp) in run.OpenRequests[index])
        {
            if (viaFollowUp)
            {
                run.FollowUps.Remove((target, id));
                using var acknowledged = await _partners[target].PostJson($"/partner/follow-ups/{id}/acknowledgement", new { outcome = "done" });
                await Expect(run, "acknowledge follow-up done", acknowledged, HttpStatusCode.OK);
            }
            else
            {
                run.Tasks.Remove((target, id));
                using var answered = await TaskClient(target).PostJson($"/requests/tasks/{id}/outcome", new { outcome = "done", note = "Done in the system" });
                await Expect(run, "POST /requests/tasks/{id}/outcome", answered, HttpStatusCode.OK, HttpStatusCode.Conflict);
            }
        }

        run.OpenRequests.RemoveAt(index);
    }

    /// <summary>A partner acknowledges one of its follow-ups: done, or failed (which may later be done).</summary>
    private async Task AcknowledgeAsync(Run run)
    {
        if (run.FollowUps.Count == 0)
        {
            await DiscloseAsync(run, Pick(run.Random, run.Customers));
            return;
        }

        var index = run.Random.Next(run.FollowUps.Count);
        var (recipient, id) = run.FollowUps[index];
        var done = run.Random.Next(4) > 0;
        using var response = await _partners[recipient].PostJson($"/partner/follow-ups/{id}/acknowledgement", done
            ? new { outcome = "done", reason = (string?)null }
            : new { outcome = "failed", reason = (string?)"Our system was down; we will try again" });
        await Expect(run, $"acknowledge follow-up {(done ? "done" : "failed")}", response, HttpStatusCode.OK, HttpStatusCode.Conflict);
        if (done)
        {
            run.FollowUps.RemoveAt(index);
        }
    }

    /// <summary>An internal system reports its task done with its own key (ops for the added system, which has no key).</summary>
    private async Task AnswerTaskAsync(Run run)
    {
        if (run.Tasks.Count == 0)
        {
            await RequestErasureOrRestrictionAsync(run);
            return;
        }

        var index = run.Random.Next(run.Tasks.Count);
        var (system, id) = run.Tasks[index];
        run.Tasks.RemoveAt(index);
        using var response = await TaskClient(system).PostJson($"/requests/tasks/{id}/outcome", new { outcome = "done", note = "Done in the system" });
        await Expect(run, "POST /requests/tasks/{id}/outcome", response, HttpStatusCode.OK, HttpStatusCode.Conflict);
    }

    /// <summary>A system reports a clock event, or time passes (once per seed past the three-year limitation period) and ops sweep.</summary>
    private async Task RetentionAsync(Run run)
    {
        var rng = run.Random;
        if (rng.Next(2) == 0)
        {
            using var reported = await SystemClient("booking").PostJson("/retention/clock-events", new
            {
                events = Subset(rng, run.Customers, 1, 3)
                    .Select(c => new { customerNumber = c, kind = Pick(rng, ClockKinds), occurredAt = factory.Time.GetUtcNow() }),
            });
            await Expect(run, "POST /retention/clock-events", reported, HttpStatusCode.OK);
            return;
        }

        var longJump = !run.LongJumpTaken && rng.Next(3) == 0;
        run.LongJumpTaken |= longJump;
        var step = longJump ? TimeSpan.FromDays((3 * 366) + 1) : TimeSpan.FromHours(rng.Next(1, 24 * 40));
        await DrainAsync($"seed {run.Seed}, operation {run.Operation}"); // what is queued goes out before its retry horizon moves
        if (longJump)
        {
            foreach (var customer in _seedOfCustomer.Keys)
            {
                foreach (var partner in _partners.Keys)
                {
                    var logged = _logBeforeLongJumps.TryGetValue((customer, partner), out var l) ? l : _logBeforeLongJumps[(customer, partner)] = [];
                    logged.AddRange(await DisclosureLogAsync(customer, partner)); // duplicates are harmless: the check asks for any
                }
            }
        }

        factory.Time.Advance(step);
        using var swept = await _ops.PostAsync("/retention/sweeps", null);
        await Expect(run, longJump ? "POST /retention/sweeps after three years" : "POST /retention/sweeps", swept, HttpStatusCode.OK);
    }

    // ---- Waiting for everything to arrive ----

    /// <summary>Until the outbox has delivered everything; a retry waiting on the test clock (an attempt timed out) is brought forward.</summary>
    private async Task DrainAsync(string when)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var status = await _ops.GetFromJsonAsync<JsonElement>("/notifier/status");
            Assert.True(status.GetProperty("deadLettered").GetInt32() == 0, $"{when}: messages were dead-lettered: {status.GetRawText()}");
            if (status.GetProperty("pending").GetInt32() == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{when}: the outbox did not drain: {status.GetRawText()}");
            await using (var connection = await factory.OpenDatabaseAsync())
            await using (var command = new Npgsql.NpgsqlCommand("""
                             SELECT min(next_attempt_at) FROM privacy.outbox_messages
                             WHERE delivered_at IS NULL AND dead_lettered_at IS NULL AND attempts > 0 AND claimed_by IS NULL
                             """, connection))
            {
                if (await command.ExecuteScalarAsync() is DateTime due && new DateTimeOffset(due, TimeSpan.Zero) > factory.Time.GetUtcNow())
                {
                    factory.Time.SetUtcNow(new DateTimeOffset(due, TimeSpan.Zero).AddSeconds(1));
                }
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Every page of the partner's feed, once it holds every disclosure and follow-up the service has for the partner.</summary>
    private async Task<List<JsonElement>> ReadFeedAsync(string partner)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, type) in new[] { ("/follow-ups", "follow_up"), ("/disclosures", "disclosure") })
        {
            long? after = 0;
            while (after is not null)
            {
                var page = await _ops.GetFromJsonAsync<JsonElement>($"{path}?recipient={partner}&limit=1000&after={after}");
                expected.UnionWith(page.GetProperty("items").EnumerateArray().Select(i => $"{type}:{i.GetProperty("id").GetInt64()}"));
                after = page.GetProperty("next").ValueKind == JsonValueKind.Number ? page.GetProperty("next").GetInt64() : null;
            }
        }

        // The feed stops short of transactions still running anywhere on the server (other test classes share it).
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var (entries, _) = await PartnerFeedReader.ReadAll(_partners[partner]);
            var missing = expected.Except(entries.Select(FeedKey)).ToList();
            if (missing.Count == 0)
            {
                return entries;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{partner}'s feed never showed {string.Join(", ", missing.Take(10))}");
            await Task.Delay(200);
        }
    }

    private static string FeedKey(JsonElement entry) => $"{entry.GetProperty("type").GetString()}:{entry.GetProperty("id").GetInt64()}";

    // ---- The property ----

    private async Task CheckAsync(IReadOnlyList<int> seeds, int currentSeed, Tally tally)
    {
        var deliveries = new List<Delivery>();
        foreach (var (party, receiver) in _receivers)
        {
            var calls = receiver.Received.ToArray();
            for (var i = 0; i < calls.Length; i++)
            {
                var root = JsonDocument.Parse(calls[i].Body).RootElement;
                var type = root.GetProperty("type").GetString()!;
                var data = root.GetProperty("data");
                deliveries.Add(new Delivery(party, _partners.ContainsKey(party), SeedOfCall(party, i), $"webhook {calls[i].Id} ({type})", calls[i].Body,
                    root,
                    data.TryGetProperty("customerNumber", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null,
                    type.StartsWith("follow_up.", StringComparison.Ordinal) ? data.GetProperty("id").GetInt64() : null));
            }
        }

        foreach (var partner in _partners.Keys)
        {
            foreach (var entry in await ReadFeedAsync(partner))
            {
                var key = FeedKey(entry);
                var seen = _feedEntrySeen.TryAdd($"{partner}/{key}", currentSeed) ? currentSeed : _feedEntrySeen[$"{partner}/{key}"];
                var type = entry.GetProperty("type").GetString();
                deliveries.Add(new Delivery(partner, true, seen, $"feed entry {key}", entry.GetRawText(), entry,
                    entry.GetProperty("customerNumber").GetString(), type == "follow_up" ? entry.GetProperty("id").GetInt64() : null));
            }
        }

        // What a system reads with its own key (GET /requests/tasks) leaves through the gate too.
        foreach (var system in PrivacyApiFactory.SystemKeys.Keys)
        {
            long? after = 0;
            while (after is not null)
            {
                var page = await SystemClient(system).GetFromJsonAsync<JsonElement>($"/requests/tasks?system={system}&limit=1000&after={after}");
                foreach (var task in page.GetProperty("items").EnumerateArray())
                {
                    var key = $"{system}/task:{task.GetProperty("id").GetInt64()}";
                    var seen = _feedEntrySeen.TryAdd(key, currentSeed) ? currentSeed : _feedEntrySeen[key];
                    deliveries.Add(new Delivery(system, false, seen, $"task list entry {task.GetProperty("id").GetInt64()}", task.GetRawText(), task,
                        task.GetProperty("customerNumber").ValueKind == JsonValueKind.String ? task.GetProperty("customerNumber").GetString() : null, null));
                }

                after = page.GetProperty("next").ValueKind == JsonValueKind.Number ? page.GetProperty("next").GetInt64() : null;
            }
        }

        // The disclosure log of every recipient and customer, after everything committed.
        var log = new Dictionary<(string Customer, string Recipient), List<Logged>>();
        foreach (var customer in _seedOfCustomer.Keys)
        {
            foreach (var partner in _partners.Keys)
            {
                log[(customer, partner)] = [.. await DisclosureLogAsync(customer, partner), .. _logBeforeLongJumps.GetValueOrDefault((customer, partner)) ?? []];
            }
        }

        var violations = new List<string>();
        foreach (var delivery in deliveries)
        {
            if (delivery.IsRecipient)
            {
                CheckRecipient(delivery, log, violations, tally);
            }
            else
            {
                CheckSystem(delivery, violations, tally);
            }

            CheckMarkers(delivery, violations, tally);
        }

        tally.Webhooks = deliveries.Count(d => d.Source.StartsWith("webhook", StringComparison.Ordinal));
        tally.FeedEntries = deliveries.Count(d => d.Source.StartsWith("feed", StringComparison.Ordinal));
        tally.TaskListEntries = deliveries.Count(d => d.Source.StartsWith("task list", StringComparison.Ordinal));
        if (violations.Distinct().ToList() is { Count: > 0 } distinct)
        {
            // A few of each party's, so one kind of leak does not hide another.
            var shown = distinct.GroupBy(v => v[(v.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split(' ')[0])
                .SelectMany(g => g.Take(3)).Take(15).ToList();
            var rerun = string.Join(",", seeds.TakeWhile(s => s != currentSeed).Append(currentSeed));
            Assert.Fail($"{distinct.Count} breaches of the egress property (rerun with {SeedVariable}={rerun}); {shown.Count} of them:\n" +
                        string.Join("\n", shown));
        }
    }

    /// <summary>Properties 1 and 2, for a recipient's webhook body or feed entry.</summary>
    private void CheckRecipient(Delivery d, Dictionary<(string Customer, string Recipient), List<Logged>> log, List<string> violations, Tally tally)
    {
        if (d.Customer is { } token && System.Text.RegularExpressions.Regex.IsMatch(token, "^erased:[0-9a-f]{32}$"))
        {
            // An entry the retention of the disclosure log or the follow-ups anonymised: it may name categories, never a value.
            if (Values(d.Root).Any())
            {
                violations.Add(Violation(d, "still carries a value in an entry anonymised by retention"));
            }

            return;
        }

        if (d.Customer is not { } customer || !_seedOfCustomer.ContainsKey(customer))
        {
            violations.Add(Violation(d, $"got something about {d.Customer ?? "no customer"}, not a customer of the test"));
            return;
        }

        var linked = _registry.LinkedTo(d.Party);
        foreach (var category in NamedCategories(d.Root))
        {
            if (!linked.Contains(category))
            {
                violations.Add(Violation(d, $"was named {category}, which the registry links to it for no purpose (property 1)"));
            }
            else if (!_given.Contains((d.Party, customer, category)))
            {
                violations.Add(Violation(d, $"was named {category} of customer {customer}, which no disclosure gave it (property 1)"));
            }
        }

        foreach (var (category, value) in Values(d.Root))
        {
            tally.RecipientValues++;
            if (CrossWired(category, value, customer) is { } wrong)
            {
                violations.Add(Violation(d, wrong));
            }

            if (d.FollowUpId is not { } id)
            {
                violations.Add(Violation(d, $"was sent a value of {category} outside a follow-up"));
            }
            else if (!log[(customer, d.Party)].Any(r => r.Reference == $"follow-up:{id}" && r.Categories.Contains(category)))
            {
                violations.Add(Violation(d, $"was sent a value of {category} of customer {customer} by follow-up {id}, which the disclosure log " +
                                            $"does not record as disclosed to it (property 2); logged: " +
                                            string.Join(" ", log[(customer, d.Party)].Select(r => $"{r.Reference}[{string.Join(",", r.Categories)}]"))));
            }
        }
    }

    /// <summary>Property 3, for an internal system's webhook body.</summary>
    private void CheckSystem(Delivery d, List<string> violations, Tally tally)
    {
        var held = _registry.Systems[d.Party];
        foreach (var category in NamedCategories(d.Root).Where(c => !held.Contains(c)))
        {
            violations.Add(Violation(d, $"was named {category}, which the registry does not say it holds (property 3)"));
        }

        foreach (var (category, value) in Values(d.Root))
        {
            tally.SystemValues++;
            if (value is null || !_markers.TryGetValue(value, out var marker))
            {
                violations.Add(Violation(d, $"was sent {value ?? "null"} as {category}, a value the test never sent"));
            }
            else if (marker.Category != category)
            {
                violations.Add(Violation(d, $"was sent {value}, a value of {marker.Category}, as {category}"));
            }
        }

        if (held.Contains(CustomerNumberCategory))
        {
            return;
        }

        var named = new List<string>();
        Walk(d.Root, (name, value) =>
        {
            if (name == "customerNumber" && value.ValueKind != JsonValueKind.Null)
            {
                named.Add($"customerNumber {value.GetRawText()}");
            }
            else if (name == "customerNumbers" && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
            {
                named.Add($"customerNumbers {value.GetRawText()}");
            }
        });
        named.AddRange(_seedOfCustomer.Keys.Where(c => d.Text.Contains($"\"{c}\"", StringComparison.Ordinal)).Select(c => $"customer {c}"));
        foreach (var what in named.Distinct())
        {
            violations.Add(Violation(d, $"holds no {CustomerNumberCategory} but was sent {what} (property 3)"));
        }
    }

    /// <summary>Property 4: every marker in the raw text is of a category the party may have; no clear personnummer anywhere.</summary>
    private void CheckMarkers(Delivery d, List<string> violations, Tally tally)
    {
        var carried = Values(d.Root).Select(v => v.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var value in MarkerPattern().Matches(d.Text).Select(m => m.Value).Distinct())
        {
            if (!_markers.TryGetValue(value, out var marker))
            {
                violations.Add(Violation(d, $"got {value}, a value the test never sent"));
                continue;
            }

            tally.MarkersSeen.Add(value);
            var allowed = d.IsRecipient
                ? _registry.LinkedTo(d.Party).Contains(marker.Category) && _given.Contains((d.Party, marker.Customer, marker.Category))
                  && d.Customer == marker.Customer
                : _registry.Systems[d.Party].Contains(marker.Category);
            if (d.IsRecipient && !carried.Contains(value))
            {
                violations.Add(Violation(d, $"got {value}, a value of {marker.Category} of customer {marker.Customer} (seed {marker.Seed}, {marker.Origin}), " +
                                            "outside the corrections of a follow-up (property 4)"));
            }
            else if (!allowed)
            {
                violations.Add(Violation(d, $"got {value}, a value of {marker.Category} of customer {marker.Customer} (seed {marker.Seed}, {marker.Origin}), " +
                                            "which it may not have (property 4)"));
            }
        }

        foreach (var (customer, number) in _personnummers)
        {
            var digits = number.Replace("-", "", StringComparison.Ordinal);
            if (new[] { number, digits, number[2..] }.Any(form => d.Text.Contains(form, StringComparison.Ordinal)))
            {
                violations.Add(Violation(d, $"got the personnummer of customer {customer} in clear (property 4)"));
            }
        }
    }

    /// <summary>A value in the wrong place: not the test's, of another category, or of another customer.</summary>
    private string? CrossWired(string category, string? value, string customer) =>
        value is null || !_markers.TryGetValue(value, out var marker) ? $"was sent {value ?? "null"} as {category}, a value the test never sent"
        : marker.Category != category ? $"was sent {value}, a value of {marker.Category}, as {category}"
        : marker.Customer != customer ? $"was sent {value}, a value of customer {marker.Customer}, about customer {customer}"
        : null;

    private string Violation(Delivery d, string what)
    {
        var seed = d.Customer is not null && _seedOfCustomer.TryGetValue(d.Customer, out var of) ? of : d.Arrived;
        return $"seed {seed}{(seed == d.Arrived ? "" : $" (arrived while seed {d.Arrived} ran)")}: {d.Party} {what} — {d.Source}: " +
               (d.Text.Length <= 800 ? d.Text : d.Text[..800] + "…");
    }

    private int SeedOfCall(string party, int index) => _seedStarts[party].Last(s => s.Start <= index).Seed;

    /// <summary>Every category a body names: each <c>categories</c> array and the keys of each <c>corrections</c> or <c>changes</c>.</summary>
    private static List<string> NamedCategories(JsonElement root)
    {
        var named = new List<string>();
        Walk(root, (name, value) =>
        {
            if (name == "categories" && value.ValueKind == JsonValueKind.Array)
            {
                named.AddRange(value.EnumerateArray().Select(c => c.GetString()!));
            }
            else if (name is "corrections" or "changes" && value.ValueKind == JsonValueKind.Object)
            {
                named.AddRange(value.EnumerateObject().Select(p => p.Name));
            }
        });
        return named;
    }

    /// <summary>Every personal-data value a body carries: the entries of each <c>corrections</c> or <c>changes</c>.</summary>
    private static List<(string Category, string? Value)> Values(JsonElement root)
    {
        var values = new List<(string, string?)>();
        Walk(root, (name, value) =>
        {
            if (name is "corrections" or "changes" && value.ValueKind == JsonValueKind.Object)
            {
                values.AddRange(value.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())));
            }
        });
        return values;
    }

    private static void Walk(JsonElement element, Action<string, JsonElement> visit)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                visit(property.Name, property.Value);
                Walk(property.Value, visit);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, visit);
            }
        }
    }

    private async Task<List<Logged>> DisclosureLogAsync(string customer, string recipient)
    {
        var logged = new List<Logged>();
        long? after = 0;
        while (after is not null)
        {
            var page = await _ops.GetFromJsonAsync<JsonElement>($"/disclosures?customerNumber={customer}&recipient={recipient}&limit=1000&after={after}");
            logged.AddRange(page.GetProperty("items").EnumerateArray().Select(i => new Logged(
                i.GetProperty("reference").GetString(), [.. i.GetProperty("categories").EnumerateArray().Select(c => c.GetString()!)])));
            after = page.GetProperty("next").ValueKind == JsonValueKind.Number ? page.GetProperty("next").GetInt64() : null;
        }

        return logged;
    }

    // ---- Helpers ----

    /// <summary>1–3 categories from the whole registry, each with a fresh marker value to look for in every body.</summary>
    private Dictionary<string, string> NewValues(Run run, string customer, string what)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var category in Subset(run.Random, _registry.Categories, 1, 3))
        {
            var bytes = new byte[16];
            run.Random.NextBytes(bytes);
            var marker = $"v-{new Guid(bytes):N}";
            values[category] = marker;
            _markers[marker] = new Marker(category, customer, run.Seed, $"operation {run.Operation}: {what}");
        }

        return values;
    }

    /// <summary>A requester's e-mail address carrying a marker of <c>user.contact.email</c>.</summary>
    private string NewEmail(Run run, string customer, string what)
    {
        var bytes = new byte[16];
        run.Random.NextBytes(bytes);
        var marker = $"v-{new Guid(bytes):N}";
        _markers[marker] = new Marker("user.contact.email", customer, run.Seed, $"operation {run.Operation}: {what}");
        return $"{marker}@example.com";
    }

    private (string Caller, HttpClient Client) FollowUpCaller(Run run)
    {
        if (run.Random.Next(10) < 7)
        {
            return ("ops", _ops);
        }

        var system = Pick(run.Random, PrivacyApiFactory.SystemKeys.Keys.Order(StringComparer.Ordinal).ToList());
        return ($"system {system}", SystemClient(system));
    }

    private static void NoteFollowUps(Run run, JsonElement? raised)
    {
        if (raised is not { } body)
        {
            return; // refused
        }

        foreach (var followUp in body.GetProperty("followUps").EnumerateArray())
        {
            run.FollowUps.Add((followUp.GetProperty("recipient").GetString()!, followUp.GetProperty("id").GetInt64()));
        }
    }

    /// <summary>Counts the answer; one outside <paramref name="allowed"/> fails the run at once, naming the seed and the operation.</summary>
    private static async Task<JsonElement?> Expect(Run run, string what, HttpResponseMessage response, params HttpStatusCode[] allowed)
    {
        var body = await response.Content.ReadAsStringAsync();
        run.Count($"{what} → {(int)response.StatusCode}");
        Assert.True(allowed.Contains(response.StatusCode),
            $"seed {run.Seed}, operation {run.Operation} ({what}): {(int)response.StatusCode} is not an answer this call may give: {body}");
        return response.IsSuccessStatusCode && body.Length > 0 ? JsonDocument.Parse(body).RootElement : null;
    }

    private HttpClient TaskClient(string system) => PrivacyApiFactory.SystemKeys.ContainsKey(system) ? SystemClient(system) : _ops;

    private HttpClient SystemClient(string system) => Cached($"system:{system}", () => factory.SystemClient(system));

    private HttpClient Website(string customer) => Cached($"website:{customer}", () => factory.WebsiteFor(customer));

    private HttpClient Cached(string key, Func<HttpClient> create)
    {
        if (!_clients.TryGetValue(key, out var client))
        {
            _clients[key] = client = create();
        }

        return client;
    }

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    private static List<T> Subset<T>(Random rng, IReadOnlyList<T> items, int min, int max)
    {
        var count = rng.Next(min, Math.Min(max, items.Count) + 1);
        return [.. items.OrderBy(_ => rng.Next()).Take(count)];
    }

    /// <summary>A valid personnummer (YYYYMMDD-NNNC, Luhn check digit) from the seeded generator.</summary>
    private static string Personnummer(Random rng)
    {
        var date = new DateOnly(1940, 1, 1).AddDays(rng.Next(0, 365 * 60));
        var nine = $"{date:yyMMdd}{rng.Next(0, 1000):D3}";
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            var d = (nine[i] - '0') * (i % 2 == 0 ? 2 : 1);
            sum += d > 9 ? d - 9 : d;
        }

        return $"{date:yyyyMMdd}-{nine[6..]}{(10 - (sum % 10)) % 10}";
    }

    [GeneratedRegex("v-[0-9a-f]{32}")]
    private static partial Regex MarkerPattern();
}
