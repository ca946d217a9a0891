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
    /// Systems whose data the law requires to keep: an erasure or anonymisation restricts it there instead, until the end
    /// date, and the request ends partially completed with the ground. Default: the accounting system under the Bookkeeping Act.
    /// </summary>
    public StatutoryRetention[] StatutoryRetention { get; set; } =
    [
        new() { System = "accounting", Ground = "Bokföringslagen (1999:1078) 7 kap. 2 §", YearsAfterYearEnd = 7 },
    ];
}

/// <summary>Data a system must keep by law: until the end of the <see cref="YearsAfterYearEnd"/>th calendar year after the current one.</summary>
public sealed class StatutoryRetention
{
    public string System { get; set; } = "";

    public string Ground { get; set; } = "";

    public int YearsAfterYearEnd { get; set; }

    /// <summary>Bookkeeping Act 7:2: kept "until the end of the seventh year after the end of the calendar year" of the records.</summary>
    public DateOnly KeptUntil(DateTimeOffset from) => new(from.UtcDateTime.Year + YearsAfterYearEnd, 12, 31);
}
