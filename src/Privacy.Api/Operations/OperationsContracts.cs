using Privacy.Api.Requests;

namespace Privacy.Api.Operations;

/// <summary>
/// The ops dashboard: the figures the Prometheus gauges report (read from the database, all as of <see cref="FiguresAt"/>)
/// and what this instance counted since it started (the Prometheus counters).
/// </summary>
/// <param name="FiguresAt">When the database figures were read; they are cached for a few seconds (Operations:FiguresCacheDuration).</param>
/// <param name="InstanceStartedAt">When this instance started counting: the counters below are since then, for this instance only.</param>
public sealed record OperationsDashboard(
    DateTimeOffset FiguresAt,
    DateTimeOffset InstanceStartedAt,
    RightsRequestFigures RightsRequests,
    OutboxFigures Outbox,
    RetentionFigures Retention,
    ConsentFigures Consent);

/// <summary>Rights requests still open (received, identity verified or in progress), and those of them past their due date.</summary>
/// <param name="Open">Open requests.</param>
/// <param name="Overdue">Open requests past their due date, the extension counted (Art 12(3)).</param>
/// <param name="ByType">The same per kind of request, every kind (0 included).</param>
public sealed record RightsRequestFigures(int Open, int Overdue, IReadOnlyList<RequestTypeFigures> ByType);

/// <summary>Open and overdue requests of one kind.</summary>
public sealed record RequestTypeFigures(RequestType Type, int Open, int Overdue);

/// <summary>The notifier's outbox, every recipient together (per recipient: GET /notifier/status).</summary>
/// <param name="Pending">Messages not yet delivered nor dead-lettered (retrying ones included).</param>
/// <param name="DeadLettered">Messages given up after the retry horizon, waiting for ops to replay them.</param>
/// <param name="OldestPendingSince">When the oldest pending message was written (or last replayed); null when none is pending.</param>
/// <param name="OldestPendingAgeSeconds">The relay's lag: how long the oldest pending message has waited, as of <c>figuresAt</c>; 0 when none.</param>
public sealed record OutboxFigures(long Pending, long DeadLettered, DateTimeOffset? OldestPendingSince, double OldestPendingAgeSeconds);

/// <summary>The retention sweep.</summary>
/// <param name="DueNow">Customers whose next retention end has come and whom the sweep has not yet looked at (its backlog).</param>
/// <param name="LastSweepCompletedAt">When this instance last completed a sweep (background or POST /retention/sweeps); null: not yet.</param>
/// <param name="CustomersEvaluated">Customers this instance's sweeps evaluated, since it started.</param>
/// <param name="CategoriesSwept">Data categories this instance's sweeps turned into erasure or anonymisation requests, since it started.</param>
/// <param name="StoreRowsProcessed">Rows of the service's own stores this instance's sweeps erased or anonymised, since it started.</param>
public sealed record RetentionFigures(
    long DueNow, DateTimeOffset? LastSweepCompletedAt, long CustomersEvaluated, long CategoriesSwept, long StoreRowsProcessed);

/// <summary>Consent events this instance committed since it started (replays of an idempotent request not counted again).</summary>
/// <param name="Decisions">Consent decisions recorded.</param>
/// <param name="Withdrawals">Withdrawals recorded.</param>
/// <param name="GpcApplied">Of the decisions, those where Global Privacy Control applied.</param>
public sealed record ConsentFigures(long Decisions, long Withdrawals, long GpcApplied);
