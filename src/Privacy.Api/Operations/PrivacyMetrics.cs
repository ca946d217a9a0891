using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Privacy.Api.Consent;

namespace Privacy.Api.Operations;

/// <summary>
/// The service's own instruments, on one meter (<see cref="MeterName"/>). Counters count what this instance committed since
/// it started; gauges report the database figures of <see cref="OperationsFigures"/>. Labels are kinds, channels and store
/// names only: never a customer number, visitor id, e-mail address or any other value a person could be found by.
/// </summary>
public sealed class PrivacyMetrics
{
    public const string MeterName = "Privacy.Api";

    private readonly ConcurrentDictionary<(ConsentEventKind Kind, ConsentChannel Channel, bool Gpc), long> _consent = new();
    private readonly ConcurrentDictionary<string, long> _storeRows = new(StringComparer.Ordinal);
    private long _customersEvaluated;
    private long _categoriesSwept;
    private long _lastSweepTicks; // UtcTicks of the last completed sweep; 0: none yet

    public PrivacyMetrics(IMeterFactory meters, OperationsFigures figures, TimeProvider time)
    {
        StartedAt = time.GetUtcNow();
        var meter = meters.Create(MeterName);

        meter.CreateObservableCounter("privacy.consent.events", ObserveConsent, "{event}",
            "Consent decisions and withdrawals committed, by kind, channel and whether Global Privacy Control applied.");
        meter.CreateObservableCounter("privacy.retention.customers.evaluated", () => Interlocked.Read(ref _customersEvaluated), "{customer}",
            "Customers whose retention schedule the sweep evaluated.");
        meter.CreateObservableCounter("privacy.retention.categories.swept", () => Interlocked.Read(ref _categoriesSwept), "{category}",
            "Data categories of customers the sweep turned into erasure or anonymisation requests.");
        meter.CreateObservableCounter("privacy.retention.store.rows", ObserveStoreRows, "{row}",
            "Rows of the service's own stores the sweep erased or anonymised, by store.");
        meter.CreateObservableGauge("privacy.retention.sweep.last_completion", ObserveLastSweep, "s",
            "When this instance last completed a retention sweep, as Unix time.");

        meter.CreateObservableGauge("privacy.rights_requests.open", () => ByType(figures, t => t.Open), "{request}",
            "Rights requests received, identity-verified or in progress, by kind.");
        meter.CreateObservableGauge("privacy.rights_requests.overdue", () => ByType(figures, t => t.Overdue), "{request}",
            "Open rights requests past their due date (Art 12(3), the extension counted), by kind.");
        meter.CreateObservableGauge("privacy.outbox.pending", () => Figure(figures, f => f.Outbox.Pending), "{message}",
            "Outbox messages neither delivered nor dead-lettered, retrying ones included.");
        meter.CreateObservableGauge("privacy.outbox.dead_lettered", () => Figure(figures, f => f.Outbox.DeadLettered), "{message}",
            "Outbox messages given up after the retry horizon, waiting for a replay.");
        meter.CreateObservableGauge("privacy.outbox.oldest_pending.age", () => Figure(figures, f => f.Outbox.OldestPendingAgeSeconds), "s",
            "How long the oldest pending outbox message has waited: the relay's lag.");
        meter.CreateObservableGauge("privacy.operations.figures.age", () => Figure(figures, f => Math.Round((time.GetUtcNow() - f.At).TotalSeconds, 3)), "s",
            "How old the database figures these gauges report are; beyond Operations:FiguresCacheDuration the last read failed.");
        meter.CreateObservableGauge("privacy.retention.due", () => Figure(figures, f => f.RetentionDueNow), "{customer}",
            "Customers whose next retention end has come and whom the sweep has not yet evaluated.");
    }

    /// <summary>When this instance started counting.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>A committed consent event (call it after the commit: <see cref="Platform.Database.AfterCommit"/>).</summary>
    public void ConsentRecorded(ConsentEventKind kind, ConsentChannel channel, bool gpc) =>
        _consent.AddOrUpdate((kind, channel, gpc), 1, (_, count) => count + 1);

    /// <summary>A committed batch of the customer sweep.</summary>
    public void CustomersSwept(int evaluated, int categories)
    {
        Interlocked.Add(ref _customersEvaluated, evaluated);
        Interlocked.Add(ref _categoriesSwept, categories);
    }

    /// <summary>A committed batch of an own store's sweep.</summary>
    public void StoreRowsSwept(string store, long rows) => _storeRows.AddOrUpdate(store, rows, (_, count) => count + rows);

    public void SweepCompleted(DateTimeOffset at) => Interlocked.Exchange(ref _lastSweepTicks, at.UtcTicks);

    /// <summary>What this instance counted since it started, for the dashboard.</summary>
    public (ConsentFigures Consent, long CustomersEvaluated, long CategoriesSwept, long StoreRows, DateTimeOffset? LastSweep) Counted()
    {
        var consent = _consent.ToArray();
        var ticks = Interlocked.Read(ref _lastSweepTicks);
        return (new ConsentFigures(
                consent.Where(c => c.Key.Kind == ConsentEventKind.Decision).Sum(c => c.Value),
                consent.Where(c => c.Key.Kind == ConsentEventKind.Withdrawal).Sum(c => c.Value),
                consent.Where(c => c.Key is { Kind: ConsentEventKind.Decision, Gpc: true }).Sum(c => c.Value)),
            Interlocked.Read(ref _customersEvaluated), Interlocked.Read(ref _categoriesSwept), _storeRows.Values.Sum(),
            ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero));
    }

    private IEnumerable<Measurement<long>> ObserveConsent() => _consent.Select(c => new Measurement<long>(c.Value,
        new("consent.kind", Label(c.Key.Kind)), new("consent.channel", Label(c.Key.Channel)), new("consent.gpc", c.Key.Gpc)));

    private IEnumerable<Measurement<long>> ObserveStoreRows() =>
        _storeRows.Select(s => new Measurement<long>(s.Value, new KeyValuePair<string, object?>("retention.store", s.Key)));

    private IEnumerable<Measurement<long>> ObserveLastSweep()
    {
        var ticks = Interlocked.Read(ref _lastSweepTicks);
        return ticks == 0 ? [] : [new Measurement<long>(new DateTimeOffset(ticks, TimeSpan.Zero).ToUnixTimeSeconds())];
    }

    private static IEnumerable<Measurement<int>> ByType(OperationsFigures figures, Func<RequestTypeFigures, int> value) =>
        figures.Latest?.RightsRequests.ByType.Select(t => new Measurement<int>(value(t), new KeyValuePair<string, object?>("rights_request.type", Label(t.Type))))
        ?? [];

    private static IEnumerable<Measurement<T>> Figure<T>(OperationsFigures figures, Func<DatabaseFigures, T> value) where T : struct =>
        figures.Latest is { } latest ? [new Measurement<T>(value(latest))] : [];

    /// <summary>An enum value as the API writes it (snake_case).</summary>
    private static string Label<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
