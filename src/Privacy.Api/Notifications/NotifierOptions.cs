namespace Privacy.Api.Notifications;

/// <summary>Settings of the webhook notifier (the outbox relay).</summary>
public sealed class NotifierOptions
{
    public const string Section = "Notifier";

    /// <summary>Run the relay in this instance (default true). Several instances may run it at once.</summary>
    public bool RelayEnabled { get; set; } = true;

    /// <summary>How often an idle relay looks for due messages (default 1 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most messages one relay claims at a time (default 100).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long a claim holds; a relay that dies leaves its messages to others after this (default 2 min).</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Time allowed for one HTTP attempt (default 10 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Quick retries inside one delivery, with exponential backoff and jitter (default 2).</summary>
    public int ImmediateRetries { get; set; } = 2;

    /// <summary>First quick retry's delay (default 1 s; doubled each time, with jitter).</summary>
    public TimeSpan ImmediateRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest one delivery can take: every attempt timing out, plus the backoff between the quick retries (doubling,
    /// with jitter up to half again). A claim must outlast it, or a relay would hand back every message unsent.
    /// </summary>
    public TimeSpan DeliveryBudget() =>
        AttemptTimeout * (ImmediateRetries + 1) + ImmediateRetryDelay * (Math.Pow(2, ImmediateRetries + 1) * 1.5);

    /// <summary>The persistent schedule when none is configured: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.</summary>
    public static readonly TimeSpan[] DefaultRetrySchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    /// <summary>
    /// Delays between failed deliveries, kept in the database so they survive restarts (with ±10 % jitter; the last
    /// repeats). Empty (the default): <see cref="DefaultRetrySchedule"/>. A configured schedule replaces the default whole:
    /// the configuration binder adds configured elements to an array that already has some, so the defaults are not the
    /// property's initial value (the reliability suite found its short schedule appended behind the defaults).
    /// </summary>
    public TimeSpan[] RetrySchedule { get; set; } = [];

    /// <summary>The schedule in force: the configured one, or the default.</summary>
    public TimeSpan[] EffectiveRetrySchedule => RetrySchedule.Length > 0 ? RetrySchedule : DefaultRetrySchedule;

    /// <summary>A message not delivered this long after it was written is dead-lettered (default 3 days).</summary>
    public TimeSpan RetryHorizon { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Failures (share of attempts, over <see cref="BreakerSamplingDuration"/>) that open a recipient's circuit (default 0.5).</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed in the sampling window before the circuit may open (default 4).</summary>
    public int BreakerMinimumThroughput { get; set; } = 4;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit skips the recipient before one trial delivery (default 30 s).</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a rotation, the old secret still signs for this long (default 24 h), so receivers can switch over.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Allow http:// endpoints (default false; Development allows them).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Allow endpoints on loopback, private, link-local and other internal addresses (default false; Development
    /// allows them). Otherwise every address the host resolves to is checked when the URL is registered, and again at every
    /// connection (<see cref="EndpointGuard"/>); allowed, the host is not resolved at registration.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}
