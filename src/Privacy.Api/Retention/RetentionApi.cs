using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;

namespace Privacy.Api.Retention;

/// <summary>Retention (R6): rules per category × purpose, clock events, legal holds, the sweep, its dry run and a subject's schedule.</summary>
public static class RetentionApi
{
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .Validate(o => o.Interval >= TimeSpan.FromSeconds(1), "Retention:Interval must be at least a second.")
            .Validate(o => o.StoreInterval >= TimeSpan.FromSeconds(1), "Retention:StoreInterval must be at least a second.")
            .Validate(o => o.SubjectBatchSize is >= 1 and <= 1000, "Retention:SubjectBatchSize must be 1–1000.")
            .Validate(o => o.StoreBatchSize is >= 1 and <= 100_000, "Retention:StoreBatchSize must be 1–100000.")
            .ValidateOnStart();
        services.AddScoped<IDatabaseSeeder, RetentionSeed>();
        services.AddScoped<RetentionSchedules>();
        services.AddScoped<RetentionSweep>();
        services.AddScoped<ProofRetention>();
        services.AddHostedService<RetentionSweeper>();
        return services;
    }

    public static IEndpointRouteBuilder MapRetentionApi(this IEndpointRouteBuilder routes)
    {
        var retention = routes.MapGroup("/retention").WithTags("Retention");
        retention.MapGet("/rules", ListRules)
            .WithName("ListRetentionRules")
            .WithSummary("Every retention rule: category × purpose, period, what starts the clock, erase or anonymise, legal reference, note")
            .WithDescription("Ordered by purpose, then category. `store` names the service's own store a rule applies to (consent " +
                             "proofs, records and links, rights request records, notification delivery, request deduplication, the " +
                             "disclosure log, follow-ups, retention bookkeeping); null for data the internal systems hold. Categories processed for a purpose without a rule are listed by GET /retention/gaps.")
            .RequireAuthorization(Policies.Ops);
        retention.MapPut("/rules/{purpose}/{category}", SetRule)
            .WithName("SetRetentionRule")
            .WithSummary("Set how long a category is kept for a purpose (audited; every customer's schedule is re-evaluated)")
            .WithDescription("`period` is an ISO 8601 duration (P7Y, P12M, P30D; P0D: at once). `trigger`: collected, last_activity, " +
                             "relationship_ended, completed (case closed), end_of_transaction_year, consent_withdrawn, consent_ended (withdrawn, " +
                             "superseded or expired). A category ends when the last purpose holding it ends. Rules of the service's own stores " +
                             "(purposes consent_proof, rights_request_records, notification_delivery, request_deduplication, disclosure_records, " +
                             "follow_up_records, retention_records) apply to those stores.")
            .WithRequestExample(new RetentionRuleRequest("P7Y", RetentionTrigger.EndOfTransactionYear, RetentionAction.Erase,
                "Bokföringslagen (1999:1078) 7 kap. 2 §", "Accounting records: seven years after the end of the calendar year of the transaction."))
            .WithValidation<RetentionRuleRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(Policies.Ops);
        retention.MapDelete("/rules/{purpose}/{category}", DeleteRule)
            .WithName("DeleteRetentionRule")
            .WithSummary("Remove a rule (audited): the category is then kept for that purpose and reported as a gap")
            .WithDescription("The audit entry keeps the rule as it was; PUT sets it again. Every customer's schedule is evaluated again " +
                             "at the next sweep.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Ops);
        retention.MapGet("/gaps", ListGaps)
            .WithName("ListRetentionGaps")
            .WithSummary("Categories processed for a purpose (active registry links) without a retention rule")
            .WithDescription("Each gap is data kept for that purpose with no end: set a rule with PUT /retention/rules/{purpose}/{category}. " +
                             "An empty list means every processed category has a period.")
            .RequireAuthorization(Policies.Ops);
        retention.MapPost("/clock-events", ReportClockEvents)
            .WithName("ReportClockEvents")
            .WithSummary("Internal systems report, in batches of up to 1,000, the events that start retention clocks")
            .WithDescription("Kinds: collected, last_activity, relationship_ended, case_closed, transaction (its calendar year's end starts " +
                             "the Bookkeeping Act's period). The latest event of each kind per customer counts. A key bound to a system " +
                             "reports for that system only.")
            .WithRequestExample(new ClockEventBatch("booking", [new ClockEvent("100234", ClockEventKind.RelationshipEnded,
                new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero))]))
            .WithValidation<ClockEventBatch>()
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.OpsOrSystem);
        retention.MapPost("/holds", PlaceHold)
            .WithName("PlaceLegalHold")
            .WithSummary("Place a legal hold on a customer's data (or one category): never swept while it lasts")
            .WithDescription("Without `category` the hold covers all the customer's data; with `endsAt` it ends by itself, otherwise when " +
                             "released. The dry run and the customer's schedule show what it keeps. Audited (the entry names the hold, not the customer).")
            .WithRequestExample(new PlaceLegalHold("100234", null, "Dispute over invoice 2026-118; claim filed with the district court", null))
            .WithValidation<PlaceLegalHold>()
            .WithIdempotency()
            .RequireAuthorization(Policies.Ops);
        retention.MapGet("/holds", ListHolds)
            .WithName("ListLegalHolds")
            .WithSummary("Legal holds, newest first; `customerNumber` to filter, `active=true` for those in force")
            .WithDescription("At most 1,000. A hold is in force until it is released or its `endsAt` passes.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(Policies.Ops);
        retention.MapPost("/holds/{id:long}/release", ReleaseHold)
            .WithName("ReleaseLegalHold")
            .WithSummary("Release a legal hold (audited): what it kept is swept at the next round if its period has ended")
            .WithDescription("Only a hold in force (409 once released or ended). The reason goes into the audit log. An erasure or " +
                             "anonymisation request the hold kept restricted goes out now for what it kept (unless another hold still " +
                             "keeps it): new tasks to the systems and follow-ups to the recipients, the request in progress again until they are done.")
            .WithRequestExample(new ReleaseLegalHold("The dispute was settled"))
            .WithValidation<ReleaseLegalHold>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        retention.MapGet("/subjects/{customerNumber}/schedule", GetSchedule)
            .WithName("GetRetentionSchedule")
            .WithSummary("A customer's retention schedule: which data ends when, under which rule, and why it is kept until then")
            .WithDescription("`at` (default now) evaluates the schedule at another instant with today's data.")
            .RequireAuthorization(Policies.Ops);
        retention.MapGet("/dry-run", DryRun)
            .WithName("RetentionDryRun")
            .WithSummary("What the sweep would do at `at` (default now): each customer's due and held categories, each own store's rows")
            .WithDescription("Customers by customer number; pass `next` as `after`. The own stores' counts come on the first page.")
            .RequireAuthorization(Policies.Ops);
        retention.MapPost("/sweeps", Sweep)
            .WithName("RunRetentionSweep")
            .WithSummary("Run the sweep now (it also runs in the background every Retention:Interval)")
            .WithDescription("Due customers become erasure or anonymisation requests on the `retention` channel (tasks to internal " +
                             "systems, follow-ups to recipients), and the service's own stores drop what has expired, in bounded batches. " +
                             "Answers what was done. Safe while the background sweep runs: each customer is taken by one sweep only. " +
                             "GET /retention/dry-run shows the same without doing it.")
            .RequireAuthorization(Policies.Ops);
        return routes;
    }

    public static async Task<Ok<List<RetentionRuleResponse>>> ListRules(PrivacyDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok((await db.Set<RetentionRule>().AsNoTracking().OrderBy(r => r.PurposeKey).ThenBy(r => r.CategoryKey).ToListAsync(cancellationToken))
            .Select(Response).ToList());

    public static async Task<Results<Ok<RetentionRuleResponse>, ValidationProblem, ProblemHttpResult>> SetRule(
        string purpose, string category, RetentionRuleRequest request, HttpContext http, PrivacyDbContext db, AuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!await db.Set<Purpose>().AnyAsync(p => p.Key == purpose && p.RetiredAt == null, cancellationToken)
            || !await db.Set<DataCategory>().AnyAsync(c => c.Key == category && c.RetiredAt == null, cancellationToken))
        {
            return NotFound("There is no active purpose or category with these keys in the registry.");
        }

        if (!await db.Set<ProcessingLink>().AnyAsync(l => l.PurposeKey == purpose && l.CategoryKey == category && l.RetiredAt == null, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Not processed for this purpose",
                detail: $"The registry has no active link of '{category}' to '{purpose}': link them first (POST /registry/links).");
        }

        if (OwnDataStores.For(purpose, category) is { } store && !store.Triggers.Contains(request.Trigger!.Value))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["trigger"] = [$"The store '{store.Name}' can start its clock only at: {string.Join(", ", store.Triggers.Select(Snake))}."],
            });
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rule = await db.Set<RetentionRule>().IgnoreQueryFilters()
            .SingleOrDefaultAsync(r => r.PurposeKey == purpose && r.CategoryKey == category, cancellationToken);
        var before = rule is null || rule.RemovedAt is not null ? null : Response(rule);
        if (rule is null)
        {
            rule = new RetentionRule { PurposeKey = purpose, CategoryKey = category, Period = "", Note = "", UpdatedBy = "" };
            db.Add(rule);
        }

        rule.RemovedAt = null;
        rule.Period = IsoPeriod.Parse(request.Period!).ToString();
        rule.Trigger = request.Trigger!.Value;
        rule.Action = request.Action!.Value;
        rule.LegalReference = request.LegalReference;
        rule.Note = request.Note!;
        rule.UpdatedAt = time.GetUtcNow();
        rule.UpdatedBy = http.User.GetActor().KeyId;
        audit.Record("retention.rule.set", "retention_rule", $"{purpose}/{category}", new { before, after = Response(rule) });
        await db.SaveChangesAsync(cancellationToken);
        await ReevaluateEveryoneAsync(db, time, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Response(rule));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteRule(
        string purpose, string category, HttpContext http, PrivacyDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rule = await db.Set<RetentionRule>().SingleOrDefaultAsync(r => r.PurposeKey == purpose && r.CategoryKey == category, cancellationToken);
        if (rule is null)
        {
            return NotFound("There is no retention rule for this category and purpose.");
        }

        rule.RemovedAt = time.GetUtcNow();
        rule.UpdatedAt = rule.RemovedAt.Value;
        rule.UpdatedBy = http.User.GetActor().KeyId;
        audit.Record("retention.rule.deleted", "retention_rule", $"{purpose}/{category}", new { before = Response(rule) });
        await db.SaveChangesAsync(cancellationToken);
        await ReevaluateEveryoneAsync(db, time, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<List<RetentionGap>>> ListGaps(PrivacyDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await RetentionSeed.GapsAsync(db, cancellationToken));

    public static async Task<Results<Ok<ClockEventsAccepted>, ValidationProblem, ProblemHttpResult>> ReportClockEvents(
        ClockEventBatch batch, HttpContext http, PrivacyDbContext db, RegistryCatalog registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var system = http.User.GetActor().SpeaksFor(batch.System, out var refused);
        if (refused is not null)
        {
            return refused;
        }

        if (system is null || !(await registry.SystemsAsync(cancellationToken)).Any(s => s.System == system))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["system"] = ["'system' must name an internal system in the registry."] });
        }

        // One row per customer and kind: the latest event (a statement may not change a row twice).
        var latest = batch.Events!.GroupBy(e => (e.CustomerNumber!, e.Kind!.Value)).Select(g => (g.Key.Item1, g.Key.Value, At: g.Max(e => e.OccurredAt!.Value)))
            .ToList();
        var rules = await db.Set<RetentionRule>().AsNoTracking().ToListAsync(cancellationToken);
        var now = time.GetUtcNow();

        // The earliest end any rule waiting for the event could give: a lower bound, so the sweep looks no later than that.
        var earliest = latest.GroupBy(e => e.Item1).Select(g => (Customer: g.Key, At: g.Select(e => EarliestEnd(rules, e.Value, e.At)).Where(a => a is not null).Min()))
            .ToList();
        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken); // the idempotency filter's, if any
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var write = new NpgsqlBatch(connection, (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction());
        write.BatchCommands.Add(BatchCommands.Create("""
            INSERT INTO privacy.retention_clocks (customer_number, kind, occurred_at, reported_by, reported_at)
            SELECT e.customer, e.kind, e.at, $4, $5 FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS e(customer, kind, at)
            ON CONFLICT (customer_number, kind) DO UPDATE
            SET occurred_at = excluded.occurred_at, reported_by = excluded.reported_by, reported_at = excluded.reported_at
            WHERE excluded.occurred_at > retention_clocks.occurred_at
            """, latest.Select(e => e.Item1).ToArray(), latest.Select(e => e.Value.ToString()).ToArray(), latest.Select(e => e.At).ToArray(), system, now));
        write.BatchCommands.Add(BatchCommands.Create(LookAgainSql, earliest.Select(e => e.Customer).ToArray(), earliest.Select(e => e.At).ToArray()));
        await write.ExecuteNonQueryAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        return TypedResults.Ok(new ClockEventsAccepted(batch.Events!.Count, earliest.Count, write.BatchCommands[0].RecordsAffected));
    }

    public static async Task<Results<Created<LegalHoldResponse>, ValidationProblem>> PlaceHold(
        PlaceLegalHold request, HttpContext http, PrivacyDbContext db, AuditTrail audit, RegistryCatalog registry, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (request.Category is not null && !(await registry.CategoryKeysAsync(cancellationToken)).Contains(request.Category))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["category"] = ["'category' is not a category in the registry."] });
        }

        var now = time.GetUtcNow();
        var hold = new LegalHold
        {
            CustomerNumber = request.CustomerNumber!, CategoryKey = request.Category, Reason = request.Reason!, EndsAt = request.EndsAt,
            PlacedAt = now, PlacedBy = http.User.GetActor().KeyId,
        };
        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        db.Add(hold);
        await db.SaveChangesAsync(cancellationToken);
        // Known to the sweep from now on, so the dry run lists what the hold keeps even before any clock event.
        await LookAgainAsync(db, hold.CustomerNumber, null, cancellationToken);
        // The hold's own row names the customer; the audit entry only the hold.
        audit.Record("retention.hold.placed", "legal_hold", hold.Id.ToString(), new { category = hold.CategoryKey, hold.EndsAt });
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        return TypedResults.Created($"/retention/holds/{hold.Id}", RetentionSchedules.Response(hold, now));
    }

    public static async Task<Ok<List<LegalHoldResponse>>> ListHolds(
        PrivacyDbContext db, TimeProvider time, string? customerNumber, bool? active, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var query = db.Set<LegalHold>().AsNoTracking();
        if (customerNumber is not null)
        {
            query = query.Where(h => h.CustomerNumber == customerNumber);
        }

        if (active == true)
        {
            query = query.Where(h => h.ReleasedAt == null && (h.EndsAt == null || h.EndsAt > now));
        }

        return TypedResults.Ok((await query.OrderByDescending(h => h.Id).Take(Paging.MaxLimit).ToListAsync(cancellationToken))
            .Select(h => RetentionSchedules.Response(h, now)).ToList());
    }

    public static async Task<Results<Ok<LegalHoldResponse>, ProblemHttpResult>> ReleaseHold(
        long id, ReleaseLegalHold request, HttpContext http, PrivacyDbContext db, AuditTrail audit, Requests.RequestWorkflow workflow, TimeProvider time,
        CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var hold = await db.Set<LegalHold>().FromSql($"SELECT * FROM privacy.legal_holds WHERE id = {id} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
        if (hold is null)
        {
            return NotFound($"There is no legal hold {id}.");
        }

        var now = time.GetUtcNow();
        if (!hold.ActiveAt(now))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Hold not in force",
                detail: $"Legal hold {id} was released or has ended.");
        }

        hold.ReleasedAt = now;
        hold.ReleasedBy = http.User.GetActor().KeyId;
        hold.ReleaseReason = request.Reason;
        // The reason is free text and may name people: it stays on the hold (under its retention), not in the permanent chain.
        audit.Record("retention.hold.released", "legal_hold", hold.Id.ToString(), new { reasonGiven = !string.IsNullOrWhiteSpace(request.Reason) });
        await db.SaveChangesAsync(cancellationToken);
        await LookAgainAsync(db, hold.CustomerNumber, now, cancellationToken);
        await workflow.ResumeHeldAsync(hold, hold.ReleasedBy, cancellationToken); // an erasure it kept restricted goes out now
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(RetentionSchedules.Response(hold, now));
    }

    public static async Task<Results<Ok<SubjectSchedule>, ValidationProblem>> GetSchedule(
        string customerNumber, DateTimeOffset? at, RetentionSchedules schedules, TimeProvider time, IOptions<Consent.ConsentOptions> consent,
        CancellationToken cancellationToken)
    {
        if (!Consent.ConsentRules.IsValidSubjectId(consent.Value, Consent.SubjectType.Customer, customerNumber))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["customerNumber"] = ["'customerNumber' is not a valid customer number."] });
        }

        var context = await schedules.ContextAsync(cancellationToken);
        return TypedResults.Ok(await schedules.EvaluateAsync(context, customerNumber, at?.ToUniversalTime() ?? time.GetUtcNow(), cancellationToken));
    }

    public static async Task<Results<Ok<RetentionDryRun>, ValidationProblem>> DryRun(
        DateTimeOffset? at, string? after, int? limit, PrivacyDbContext db, RetentionSchedules schedules, RetentionSweep sweep, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (Paging.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        at = at?.ToUniversalTime(); // an instant with any offset; timestamptz takes UTC

        var when = at ?? time.GetUtcNow();
        var customers = await db.Set<RetentionSubject>().AsNoTracking()
            .Where(s => s.NextDueAt <= when || db.Set<LegalHold>().Any(h => h.CustomerNumber == s.CustomerNumber && h.ReleasedAt == null
                                                                             && h.PlacedAt <= when && (h.EndsAt == null || h.EndsAt > when)))
            .Where(s => after == null || string.Compare(s.CustomerNumber, after) > 0)
            .OrderBy(s => s.CustomerNumber).Select(s => s.CustomerNumber).Take(size + 1).ToListAsync(cancellationToken);
        var context = await schedules.ContextAsync(cancellationToken);
        var subjects = new List<DryRunSubject>();
        foreach (var customer in customers.Take(size))
        {
            var schedule = await schedules.EvaluateAsync(context, customer, when, cancellationToken);
            var due = schedule.Categories.Where(c => c.State == CategoryState.Due).ToList();
            var held = schedule.Categories.Where(c => c.State == CategoryState.Held).ToList();
            if (due.Count > 0 || held.Count > 0)
            {
                subjects.Add(new DryRunSubject(customer, due, held));
            }
        }

        var stores = after is null ? await sweep.SweepStoresAsync(when, cancellationToken) : null;
        return TypedResults.Ok(new RetentionDryRun(when, subjects, customers.Count > size ? customers[size - 1] : null, stores));
    }

    public static async Task<Ok<RetentionSweepResult>> Sweep(IServiceScopeFactory scopes, IOptions<RetentionOptions> options, CancellationToken cancellationToken)
    {
        var (subjects, stores) = await RetentionSweeper.SweepOnceAsync(scopes, options.Value, stores: true, cancellationToken);
        return TypedResults.Ok(new RetentionSweepResult(subjects, stores));
    }

    /// <summary>The earliest instant a rule waiting for this event could end; null when no rule waits for it.</summary>
    public static DateTimeOffset? EarliestEnd(IEnumerable<RetentionRule> rules, ClockEventKind kind, DateTimeOffset occurredAt)
    {
        var (triggers, start) = kind switch
        {
            ClockEventKind.Collected => ([RetentionTrigger.Collected], occurredAt),
            ClockEventKind.LastActivity => (new[] { RetentionTrigger.LastActivity }, occurredAt),
            ClockEventKind.RelationshipEnded => ([RetentionTrigger.RelationshipEnded], occurredAt),
            ClockEventKind.CaseClosed => ([RetentionTrigger.Completed], occurredAt),
            _ => ([RetentionTrigger.EndOfTransactionYear], new DateTimeOffset(occurredAt.UtcDateTime.Year + 1, 1, 1, 0, 0, 0, TimeSpan.Zero)),
        };
        return rules.Where(r => triggers.Contains(r.Trigger) && !OwnDataStores.Purposes.Contains(r.PurposeKey))
            .Select(r => (DateTimeOffset?)IsoPeriod.Parse(r.Period).AddTo(start)).Min();
    }

    /// <summary>
    /// Customers ($1) the sweep must look at no later than the given instants ($2): a customer not yet known is added, an
    /// earlier instant replaces a later one, and a null instant only makes the customer known.
    /// </summary>
    private const string LookAgainSql = """
        INSERT INTO privacy.retention_subjects (customer_number, next_due_at)
        SELECT s.customer, s.at FROM unnest($1::text[], $2::timestamptz[]) AS s(customer, at)
        ON CONFLICT (customer_number) DO UPDATE SET next_due_at = excluded.next_due_at
        WHERE excluded.next_due_at < retention_subjects.next_due_at OR retention_subjects.next_due_at IS NULL
        """;

    /// <summary>One customer through <see cref="LookAgainSql"/>, in the request's transaction.</summary>
    private static async Task LookAgainAsync(PrivacyDbContext db, string customer, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        await using var command = BatchCommands.Command((NpgsqlConnection)db.Database.GetDbConnection(), LookAgainSql,
            new[] { customer }, new[] { at });
        command.Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Rules changed: every customer's schedule is evaluated again at the next sweep.</summary>
    private static Task ReevaluateEveryoneAsync(PrivacyDbContext db, TimeProvider time, CancellationToken cancellationToken) =>
        db.Set<RetentionSubject>().ExecuteUpdateAsync(s => s.SetProperty(x => x.NextDueAt, time.GetUtcNow()), cancellationToken);

    private static RetentionRuleResponse Response(RetentionRule r) => new(
        r.PurposeKey, r.CategoryKey, r.Period, r.Trigger, r.Action, r.LegalReference, r.Note, OwnDataStores.For(r.PurposeKey, r.CategoryKey)?.Name,
        r.UpdatedAt, r.UpdatedBy);

    private static string Snake(RetentionTrigger trigger) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(trigger.ToString());

    private static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);
}
