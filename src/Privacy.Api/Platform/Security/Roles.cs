namespace Privacy.Api.Platform.Security;

/// <summary>The kinds of caller. Each API key has exactly one.</summary>
public static class Roles
{
    /// <summary>The company's website; its key may ship inside public pages.</summary>
    public const string Frontend = "frontend";

    /// <summary>A recipient's system (card provider, invoicing partner), bound to one registry recipient.</summary>
    public const string Partner = "partner";

    /// <summary>The company's staff and auditors, through Swagger UI.</summary>
    public const string Ops = "ops";

    /// <summary>Internal back-end services (booking, accounting) reporting to this one.</summary>
    public const string System = "system";

    /// <summary>
    /// The consent banner's public key, shipped inside the website's pages (R7): it records and reads consent only for the
    /// visitor id it presents, and it is rate-limited per client address.
    /// </summary>
    public const string Banner = "banner";

    /// <summary>
    /// The Prometheus scrape: <c>GET /metrics</c> and nothing else, so the monitoring system's key (kept in its configuration,
    /// read by more people than ops) opens no data. Refused by every other policy and by the fallback policy.
    /// </summary>
    public const string Metrics = "metrics";

    /// <summary>The server-side roles that use the API: their keys never leave the company's or a partner's servers.</summary>
    public static readonly IReadOnlyList<string> ServerSide = [Frontend, Partner, Ops, System];

    public static readonly IReadOnlyList<string> All = [.. ServerSide, Banner, Metrics];

    /// <summary>Every role but <see cref="Metrics"/>: what an endpoint without a policy of its own allows (the fallback policy).</summary>
    public static readonly IReadOnlyList<string> ApiCallers = [.. ServerSide, Banner];
}

/// <summary>Authorization policies: each names the roles that may call an endpoint.</summary>
public static class Policies
{
    /// <summary>Ops only: changes to the registry, the audit log.</summary>
    public const string Ops = "ops";

    /// <summary>Ops and internal systems.</summary>
    public const string OpsOrSystem = "ops-or-system";

    /// <summary>Every authenticated server-side caller (not the banner's public key).</summary>
    public const string AnyCaller = "any-caller";

    /// <summary>The website and ops: record consent on a person's behalf.</summary>
    public const string FrontendOrOps = "frontend-or-ops";

    /// <summary>Partners only: their own recipient's stream.</summary>
    public const string Partner = "partner";

    /// <summary>Everyone but partners: partners never see consent data.</summary>
    public const string NotPartner = "not-partner";

    /// <summary>Those who record consent decisions: the website (server or banner, the banner for its visitor only) and ops.</summary>
    public const string ConsentRecorders = "consent-recorders";

    /// <summary>Those who read a subject's consent state: every caller but partners (the banner for its visitor only).</summary>
    public const string ConsentReaders = "consent-readers";

    /// <summary>The Prometheus scrape: the metrics key, and ops.</summary>
    public const string MetricsScrapers = "metrics-scrapers";

    internal static readonly IReadOnlyDictionary<string, string[]> AllowedRoles = new Dictionary<string, string[]>
    {
        [Ops] = [Roles.Ops],
        [OpsOrSystem] = [Roles.Ops, Roles.System],
        [AnyCaller] = [.. Roles.ServerSide],
        [FrontendOrOps] = [Roles.Frontend, Roles.Ops],
        [NotPartner] = [Roles.Frontend, Roles.Ops, Roles.System],
        [Partner] = [Roles.Partner],
        [ConsentRecorders] = [Roles.Frontend, Roles.Ops, Roles.Banner],
        [ConsentReaders] = [Roles.Frontend, Roles.Ops, Roles.System, Roles.Banner],
        [MetricsScrapers] = [Roles.Ops, Roles.Metrics],
    };
}
