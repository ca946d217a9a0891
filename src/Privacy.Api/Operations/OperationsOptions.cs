namespace Privacy.Api.Operations;

/// <summary>Metrics and the ops dashboard.</summary>
public sealed class OperationsOptions
{
    public const string Section = "Operations";

    /// <summary>
    /// How long the database figures (open requests, outbox, retention backlog) are reused (default 5 s): several
    /// Prometheus servers and dashboards scraping at once cost the database one round trip per period.
    /// </summary>
    public TimeSpan FiguresCacheDuration { get; set; } = TimeSpan.FromSeconds(5);
}
