namespace Privacy.Api.Retention;

/// <summary>Settings of the retention sweep.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Run the sweep in the background (every replica may; each batch is swept by one).</summary>
    public bool SweepEnabled { get; set; } = true;

    /// <summary>Pause between sweeps when nothing is due (default one minute).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often a replica sweeps the service's own stores (default one hour). Their periods are months and days, and a
    /// pass reads every row whose clock may have run (for consent proofs, up to a validity period of them), so once an
    /// hour is plenty and keeps an idle pass from costing every minute.
    /// </summary>
    public TimeSpan StoreInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Customers evaluated and swept per transaction (default 50).</summary>
    public int SubjectBatchSize { get; set; } = 50;

    /// <summary>Rows of one of the service's own stores changed per statement (default 1,000): short locks, short transactions.</summary>
    public int StoreBatchSize { get; set; } = 1000;
}
