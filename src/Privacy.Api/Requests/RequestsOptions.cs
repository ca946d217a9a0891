namespace Privacy.Api.Requests;

/// <summary>Settings of rights requests.</summary>
public sealed class RequestsOptions
{
    public const string Section = "Requests";

    /// <summary>An open request due within this many days is listed as due soon (default 7).</summary>
    public int DueSoonDays { get; set; } = 7;

    /// <summary>The internal system that writes to requesters (received, extended, completed); the service sends no e-mail itself.</summary>
    public string NotificationSystem { get; set; } = "email";

    /// <summary>
    /// Systems whose data the law requires to keep: an erasure or anonymisation restricts it there instead, for as long as the
    /// named purpose's retention rules keep the customer's data (the same rules and clocks as the retention schedule), and the
    /// request ends partially completed with the rule's legal reference and the last day. When the purpose keeps nothing (no
    /// transaction was reported, or the period has passed), the system erases. Default: the accounting system under the
    /// Bookkeeping Act (purpose legal_compliance: 31 December of the year of the last transaction + 7).
    /// </summary>
    public StatutoryRetention[] StatutoryRetention { get; set; } =
    [
        new() { System = "accounting", Purpose = "legal_compliance" },
    ];
}

/// <summary>A system whose data a purpose's retention rules keep by law (e.g. accounting records, Bokföringslagen 7 kap. 2 §).</summary>
public sealed class StatutoryRetention
{
    public string System { get; set; } = "";

    /// <summary>The purpose whose retention rules say how long (its rule's legal reference is the ground).</summary>
    public string Purpose { get; set; } = "";
}
