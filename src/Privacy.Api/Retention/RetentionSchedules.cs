using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Platform.Database;
using Privacy.Api.Registry;
using Privacy.Api.Requests;

namespace Privacy.Api.Retention;

/// <summary>Where one rule stands for a subject.</summary>
public enum RuleState
{
    /// <summary>The purpose does not concern the subject (a consent never given, no transaction reported).</summary>
    NotApplicable = 1,

    /// <summary>The clock has not started: the data is kept while the purpose lasts.</summary>
    Running,

    /// <summary>The clock started: the rule ends at <c>endsAt</c>.</summary>
    Ends,

    /// <summary>The category is processed for the purpose and no rule says how long: kept, and reported as a gap.</summary>
    NoRule,
}

/// <summary>Where one category of a subject's data stands.</summary>
public enum CategoryState
{
    /// <summary>No purpose concerns the subject's data of this category.</summary>
    NotApplicable = 1,

    /// <summary>A purpose still needs it (its clock has not started).</summary>
    Kept,

    /// <summary>A purpose that needs it has no rule.</summary>
    NoRule,

    /// <summary>Every purpose's period ends; the last one at <c>endsAt</c>.</summary>
    Scheduled,

    /// <summary>The period ended and the sweep has not yet handled it.</summary>
    Due,

    /// <summary>The period ended but a legal hold keeps it.</summary>
    Held,

    /// <summary>Swept: erasure or anonymisation tasks went out (see <c>requestId</c>).</summary>
    Swept,
}

public sealed record RuleLine(
    string Purpose, RetentionTrigger Trigger, string Period, RetentionAction Action, string? LegalReference, string Note,
    RuleState State, DateTimeOffset? ClockStartedAt, DateTimeOffset? EndsAt, string Explanation);

public sealed record NoRuleLine(string Purpose, string Explanation);

/// <summary>What a purpose's rules keep of a subject's data: under which law, until which day (null: while its clock has not started).</summary>
public sealed record KeptByPurpose(string Ground, DateOnly? KeptUntil);

public sealed record CategorySchedule(
    string Category, CategoryState State, DateTimeOffset? EndsAt, RetentionAction? Action, string Why, long? HoldId, Guid? RequestId,
    IReadOnlyList<RuleLine> Rules, IReadOnlyList<NoRuleLine> Gaps);

/// <summary>A customer's retention schedule at <c>at</c>: which data ends when, under which rule, and why it is kept until then.</summary>
public sealed record SubjectSchedule(
    string CustomerNumber, DateTimeOffset At, IReadOnlyList<CategorySchedule> Categories, IReadOnlyList<LegalHoldResponse> Holds,
    DateTimeOffset? NextDueAt);

public sealed record LegalHoldResponse(
    long Id, string CustomerNumber, string? Category, string Reason, DateTimeOffset PlacedAt, string PlacedBy, DateTimeOffset? EndsAt,
    DateTimeOffset? ReleasedAt, string? ReleasedBy, bool Active, string? ReleaseReason);

/// <summary>What every subject's evaluation shares: the rules, the purposes and how long a consent lasts.</summary>
public sealed record RetentionContext(
    IReadOnlyDictionary<(string Purpose, string Category), RetentionRule> Rules, IReadOnlyList<PurposeFacts> Purposes, int ConsentValidityMonths);

/// <summary>
/// Computes a customer's retention schedule. A category ends when the last purpose holding it ends: each purpose's rule
/// (category × purpose) gives an end once its clock has started; a purpose whose clock has not started keeps the data,
/// and so does a purpose without a rule (a gap). Purposes of the service's own stores are applied to those stores instead.
/// </summary>
public sealed class RetentionSchedules(PrivacyDbContext db, RegistryCatalog registry, ConsentHistory consent, IOptions<ConsentOptions> consentOptions)
{
    public async Task<RetentionContext> ContextAsync(CancellationToken cancellationToken)
    {
        var rules = await db.Set<RetentionRule>().AsNoTracking().ToListAsync(cancellationToken);
        var purposes = await registry.PurposesAsync(cancellationToken);
        return new RetentionContext(rules.ToDictionary(r => (r.PurposeKey, r.CategoryKey)), purposes, consentOptions.Value.ValidityMonths);
    }

    public async Task<SubjectSchedule> EvaluateAsync(RetentionContext context, string customerNumber, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var clocks = (await db.Set<SubjectClock>().AsNoTracking().Where(c => c.CustomerNumber == customerNumber).ToListAsync(cancellationToken))
            .ToDictionary(c => c.Kind, c => c.OccurredAt);
        var consents = (await consent.PurposeTimelinesAsync(customerNumber, cancellationToken)).ToDictionary(t => t.Purpose);
        var holds = await db.Set<LegalHold>().AsNoTracking().Where(h => h.CustomerNumber == customerNumber).OrderBy(h => h.Id).ToListAsync(cancellationToken);
        var swept = await db.Set<RetentionItem>().AsNoTracking().Where(i => i.CustomerNumber == customerNumber).ToListAsync(cancellationToken);

        var purposes = context.Purposes.Where(p => p.DataSubjects.Contains(DataSubjectType.Customer) && !OwnDataStores.Purposes.Contains(p.Key)).ToList();
        var categories = new List<CategorySchedule>();
        foreach (var category in purposes.SelectMany(p => p.Categories).Distinct().Order(StringComparer.Ordinal))
        {
            var lines = new List<RuleLine>();
            var gaps = new List<NoRuleLine>();
            foreach (var purpose in purposes.Where(p => p.Categories.Contains(category)))
            {
                if (context.Rules.TryGetValue((purpose.Key, category), out var rule))
                {
                    lines.Add(Line(rule, purpose, clocks, consents, context.ConsentValidityMonths));
                }
                else if (Applies(purpose, consents))
                {
                    gaps.Add(new NoRuleLine(purpose.Key, $"No retention rule for {category} × {purpose.Key}: kept until ops add one."));
                }
            }

            categories.Add(Category(category, lines, gaps, holds, swept, at));
        }

        var next = categories.Where(c => c.State == CategoryState.Scheduled).Select(c => c.EndsAt)
            .Concat(categories.Where(c => c.State == CategoryState.Held).Select(c => holds.Single(h => h.Id == c.HoldId).EndsAt))
            .Where(d => d is not null).Min();
        return new SubjectSchedule(customerNumber, at, categories, [.. holds.Select(h => Response(h, at))], next);
    }

    /// <summary>
    /// What a purpose's rules still keep of a customer's data at <paramref name="at"/>: the legal reference and the last day kept
    /// (Europe/Stockholm), from the same rules and clocks as the schedule. Null when the purpose keeps nothing: it never concerned
    /// the customer (e.g. no transaction was ever reported), or its period has passed. The one implementation a rights request's
    /// statutory retention (Bokföringslagen 7 kap. 2 §) and the retention schedule share.
    /// </summary>
    public async Task<KeptByPurpose?> KeptByPurposeAsync(string customerNumber, string purpose, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var schedule = await EvaluateAsync(await ContextAsync(cancellationToken), customerNumber, at, cancellationToken);
        var lines = schedule.Categories.SelectMany(c => c.Rules).Where(l => l.Purpose == purpose)
            .Where(l => l.State == RuleState.Running || (l.State == RuleState.Ends && l.EndsAt > at)).ToList();
        if (lines.Count == 0)
        {
            return null;
        }

        var reference = string.Join("; ", lines.Select(l => l.LegalReference ?? l.Note).Distinct());
        // A running clock (e.g. the customer relationship lasts) keeps the data with no end date yet.
        return lines.Any(l => l.State == RuleState.Running)
            ? new KeptByPurpose(reference, null)
            : new KeptByPurpose(reference, RequestDeadlines.DayEndedBy(lines.Max(l => l.EndsAt!.Value)));
    }

    public static LegalHoldResponse Response(LegalHold h, DateTimeOffset at) =>
        new(h.Id, h.CustomerNumber, h.CategoryKey, h.Reason, h.PlacedAt, h.PlacedBy, h.EndsAt, h.ReleasedAt, h.ReleasedBy, h.ActiveAt(at), h.ReleaseReason);

    private static bool Applies(PurposeFacts purpose, Dictionary<string, PurposeTimeline> consents) =>
        purpose.LegalBasis != LegalBasis.Consent || consents.GetValueOrDefault(purpose.Key)?.EverGranted == true;

    private static RuleLine Line(
        RetentionRule rule, PurposeFacts purpose, Dictionary<ClockEventKind, DateTimeOffset> clocks, Dictionary<string, PurposeTimeline> consents,
        int validityMonths)
    {
        var period = IsoPeriod.Parse(rule.Period);
        RuleLine Make(RuleState state, DateTimeOffset? start, string why) => new(
            purpose.Key, rule.Trigger, rule.Period, rule.Action, rule.LegalReference, rule.Note, state, start,
            state == RuleState.Ends ? period.AddTo(start!.Value) : null, why);

        if (!Applies(purpose, consents))
        {
            return Make(RuleState.NotApplicable, null, "The subject never gave this consent.");
        }

        switch (rule.Trigger)
        {
            case RetentionTrigger.ConsentWithdrawn or RetentionTrigger.ConsentEnded:
            {
                // On a consent purpose: that consent. On another purpose (e.g. keeping consent records): the subject's latest consent.
                var timelines = purpose.LegalBasis == LegalBasis.Consent
                    ? consents.Values.Where(t => t.Purpose == purpose.Key).ToList()
                    : consents.Values.Where(t => t.EverGranted).ToList();
                if (timelines.Count == 0)
                {
                    return Make(RuleState.NotApplicable, null, "The subject never gave a consent.");
                }

                if (timelines.Any(t => t.LastGranted) && rule.Trigger == RetentionTrigger.ConsentWithdrawn)
                {
                    return Make(RuleState.Running, null, "Kept while the consent is given; the period starts when it is withdrawn.");
                }

                // A consent in force ends when it expires (renewing it moves this); a withdrawn one when it was withdrawn.
                var end = timelines.Max(t => t.LastGranted ? new IsoPeriod(validityMonths, 0, TimeSpan.Zero).AddTo(t.LastAt) : t.LastAt);
                return Make(RuleState.Ends, end, timelines.Any(t => t.LastGranted)
                    ? $"The consent expires {Day(end)} unless renewed; the period starts then."
                    : $"The consent ended {Day(end)}.");
            }

            case RetentionTrigger.EndOfTransactionYear:
                if (!clocks.TryGetValue(ClockEventKind.Transaction, out var transaction))
                {
                    return Make(RuleState.NotApplicable, null, "No transaction has been reported for the subject.");
                }

                // Bokföringslagen counts Swedish calendar years: a transaction at 00:30 on 1 January in Stockholm is in the new year.
                var year = RequestDeadlines.SwedishDay(transaction).Year;
                var yearEnd = RequestDeadlines.EndOf(new DateOnly(year, 12, 31));
                return Make(RuleState.Ends, yearEnd, $"The last transaction was in {year}; the period starts when that year ends.");

            case RetentionTrigger.RelationshipEnded:
                if (!clocks.TryGetValue(ClockEventKind.RelationshipEnded, out var ended))
                {
                    return Make(RuleState.Running, null, "Kept while the customer relationship lasts; the period starts when a system reports it ended.");
                }

                if (clocks.TryGetValue(ClockEventKind.LastActivity, out var active) && active > ended)
                {
                    return Make(RuleState.Running, null, $"The relationship ended {Day(ended)} but resumed {Day(active)}; kept while it lasts.");
                }

                return Make(RuleState.Ends, ended, $"The customer relationship ended {Day(ended)}.");

            default:
            {
                var kind = rule.Trigger switch
                {
                    RetentionTrigger.Collected => ClockEventKind.Collected,
                    RetentionTrigger.LastActivity => ClockEventKind.LastActivity,
                    _ => ClockEventKind.CaseClosed,
                };
                return clocks.TryGetValue(kind, out var start)
                    ? Make(RuleState.Ends, start, $"{Describe(kind)} {Day(start)}.")
                    : Make(RuleState.Running, null, $"Kept until a system reports {Describe(kind).ToLowerInvariant()}.");
            }
        }
    }

    private static CategorySchedule Category(
        string category, List<RuleLine> lines, List<NoRuleLine> gaps, List<LegalHold> holds, List<RetentionItem> swept, DateTimeOffset at)
    {
        CategorySchedule Make(CategoryState state, DateTimeOffset? ends, RetentionAction? action, string why, long? hold = null, Guid? request = null) =>
            new(category, state, ends, action, why, hold, request, lines, gaps);

        var applicable = lines.Where(l => l.State != RuleState.NotApplicable).ToList();
        if (gaps.Count > 0)
        {
            return Make(CategoryState.NoRule, null, null, $"Kept: no retention rule for {string.Join(", ", gaps.Select(g => g.Purpose))}.");
        }

        if (applicable.Count == 0)
        {
            return Make(CategoryState.NotApplicable, null, null, "No purpose concerns the subject's data of this category.");
        }

        if (applicable.FirstOrDefault(l => l.State == RuleState.Running) is { } running)
        {
            return Make(CategoryState.Kept, null, null, $"Kept for {running.Purpose}: {running.Explanation}");
        }

        // The last purpose to end decides; on a tie, erasing wins over anonymising.
        var last = applicable.OrderByDescending(l => l.EndsAt).ThenBy(l => l.Action).First();
        var endsAt = last.EndsAt!.Value;
        var rule = $"{last.Purpose}: {last.Period} from {Describe(last.Trigger)}" + (last.LegalReference is null ? "" : $", {last.LegalReference}");
        if (swept.FirstOrDefault(i => i.CategoryKey == category && i.DueAt == endsAt) is { } item)
        {
            return Make(CategoryState.Swept, endsAt, item.Action, $"Swept {Day(item.SweptAt)}: {item.Action.ToString().ToLowerInvariant()} tasks went out.",
                request: item.RequestId);
        }

        if (endsAt > at)
        {
            var hold = holds.FirstOrDefault(h => (h.CategoryKey is null || h.CategoryKey == category) && h.ActiveAt(at));
            return Make(CategoryState.Scheduled, endsAt, last.Action,
                $"Kept until {Day(endsAt)} ({rule})" + (hold is null ? "." : $"; legal hold #{hold.Id} is in place."), hold?.Id);
        }

        if (holds.FirstOrDefault(h => (h.CategoryKey is null || h.CategoryKey == category) && h.ActiveAt(at)) is { } held)
        {
            return Make(CategoryState.Held, endsAt, last.Action,
                $"The period ended {Day(endsAt)}, but legal hold #{held.Id} keeps it{(held.EndsAt is null ? " until released" : $" until {Day(held.EndsAt.Value)}")}: {held.Reason}",
                held.Id);
        }

        return Make(CategoryState.Due, endsAt, last.Action, $"The period ended {Day(endsAt)} ({rule}).");
    }

    private static string Describe(ClockEventKind kind) => kind switch
    {
        ClockEventKind.Collected => "Collected",
        ClockEventKind.LastActivity => "Last active",
        ClockEventKind.RelationshipEnded => "Relationship ended",
        ClockEventKind.CaseClosed => "Case closed",
        _ => "Transaction",
    };

    private static string Describe(RetentionTrigger trigger) => trigger switch
    {
        RetentionTrigger.Collected => "collection",
        RetentionTrigger.LastActivity => "the last activity",
        RetentionTrigger.RelationshipEnded => "the end of the customer relationship",
        RetentionTrigger.Completed => "the closing of the case",
        RetentionTrigger.EndOfTransactionYear => "the end of the transaction's calendar year",
        RetentionTrigger.ConsentWithdrawn => "the withdrawal of consent",
        _ => "the end of the consent",
    };

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
