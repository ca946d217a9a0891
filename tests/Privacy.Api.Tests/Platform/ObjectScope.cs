namespace Privacy.Api.Tests.Platform;

/// <summary>
/// How each caller is confined to its own objects (OWASP API1, object-level authorization), stated by hand for every endpoint
/// and every role but ops that <see cref="AccessMatrix"/> lets call it. AccessMatrix says who may call an endpoint; this table
/// says whose data that caller then reaches. ObjectScopeTests fail when an endpoint a non-ops role reaches has no decision for
/// that role, or an entry names an endpoint that is not mapped or a role the matrix does not allow: a new endpoint means
/// deciding here, in review, how its callers are kept to their own objects. Ops act for everyone and need no entry.
/// "unscoped" is a decision too: a trusted server-side key that reaches every subject, stated so a reviewer sees it.
/// </summary>
public static class ObjectScope
{
    /// <summary>The frontend key with X-Signed-In-Customer: that customer's requests, submitted through the website.</summary>
    public const string SignedInCustomer = "signed-in customer: the X-Signed-In-Customer header; only what the website submitted for that customer";

    /// <summary>The public banner key: visitors only, never a customer, no stated proof, rate-limited per address.</summary>
    public const string OwnVisitor = "own visitor id: the visitor id the banner presents (visitor subjects only, never a customer; no proof), rate-limited per client address";

    public const string OwnRecipient = "own recipient: the key's Recipient (ApiKeys:Keys:N:Recipient); another recipient's entries are never listed or acknowledged";

    public const string BoundSystem = "bound system: the key's System (ApiKeys:Keys:N:System, required outside Development); another system's work answers 403/404";

    public const string SentCompleted = "sent completed: only the e-mail system's key (Requests:NotificationSystem), only for a request it was sent the completed event of; every read audited; anything else 404";

    /// <summary>Unsubscribe links: the e-mail system's key only; they name any subscriber, as the mails it sends do.</summary>
    public const string EmailSystem = "e-mail system: only the key bound to Requests:NotificationSystem, for any subscriber it mails; any other system key 404";

    public const string OwnKey = "none: answers about the calling key only";

    public const string Shared = "none: reads shared registry or policy data, no personal data";

    /// <summary>The Prometheus scrape: counts and ages by kind, channel, route template or store, never a subject.</summary>
    public const string Aggregates = "none: aggregate figures of the whole service; labels hold kinds, channels, routes and store names, no personal data";

    /// <summary>The website's server records and reads consent for whichever visitor or customer it is serving.</summary>
    public const string WebsiteAnySubject = "unscoped: the website's server key acts for any visitor or customer it serves (not bound to the signed-in customer yet)";

    /// <summary>Internal back-end services act on any customer's data (that is their job); their keys stay server-side.</summary>
    public const string SystemAnySubject = "unscoped: internal back-end systems act on any customer's data; server-side keys only";

    /// <summary>Receipts are read by an unguessable id (Guid v7) the caller was given when it recorded the event.</summary>
    public const string ByReceiptId = "unscoped: by the receipt id (a Guid v7) given to whoever recorded the event";

    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Decisions =
        new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["GET /whoami"] = Same(OwnKey, "frontend", "partner", "system"),
            ["GET /registry/categories/"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/categories/{key}"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/purposes/"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/purposes/{key}"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/recipients/"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/recipients/{key}"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/systems/"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/systems/{key}"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/links/"] = Same(Shared, "frontend", "partner", "system"),
            ["GET /registry/record-of-processing"] = Same(Shared, "system"),
            ["GET /registry/record-of-processing.csv"] = Same(Shared, "system"),
            ["GET /consent/purposes"] = Same(Shared, "frontend", "system"),
            ["POST /consent/decisions"] = For(("frontend", WebsiteAnySubject), ("banner", OwnVisitor)),
            ["GET /consent/subjects/{subjectType}/{subjectId}"] = For(("frontend", WebsiteAnySubject), ("system", SystemAnySubject), ("banner", OwnVisitor)),
            ["POST /consent/subjects/{subjectType}/{subjectId}/withdrawals"] = For(("frontend", WebsiteAnySubject), ("banner", OwnVisitor)),
            ["GET /banner/v1/config"] = Same(Shared, "frontend", "banner"),
            ["GET /consent/subjects/{subjectType}/{subjectId}/history"] = Same(SystemAnySubject, "system"),
            ["POST /consent/subjects/visitor/{visitorId}/link"] = Same(WebsiteAnySubject, "frontend"),
            ["GET /consent/receipts/{receiptId:guid}"] = Same(ByReceiptId, "frontend", "system"),
            ["GET /consent/unsubscribe-links"] = Same(EmailSystem, "system"),
            ["GET /consent/policy-versions/"] = Same(Shared, "frontend", "system"),
            ["GET /consent/policy-versions/current"] = Same(Shared, "frontend", "system"),
            ["GET /consent/policy-versions/{version}"] = Same(Shared, "frontend", "system"),
            ["POST /disclosures/"] = Same(SystemAnySubject, "system"),
            ["GET /disclosures/"] = Same(SystemAnySubject, "system"),
            ["POST /disclosures/search"] = Same(SystemAnySubject, "system"),
            ["POST /follow-ups/"] = Same(SystemAnySubject, "system"),
            ["GET /follow-ups/"] = Same(SystemAnySubject, "system"),
            ["GET /partner/feed"] = Same(OwnRecipient, "partner"),
            ["POST /partner/follow-ups/{id:long}/acknowledgement"] = Same(OwnRecipient, "partner"),
            ["POST /requests/"] = Same(SignedInCustomer, "frontend"),
            ["GET /requests/{id:guid}"] = Same(SignedInCustomer, "frontend"),
            ["GET /requests/{id:guid}/report"] = For(("frontend", SignedInCustomer), ("system", SentCompleted)),
            ["GET /requests/{id:guid}/export"] = For(("frontend", SignedInCustomer), ("system", SentCompleted)),
            ["GET /requests/tasks"] = Same(BoundSystem, "system"),
            ["POST /requests/tasks/{taskId:long}/outcome"] = Same(BoundSystem, "system"),
            ["POST /retention/clock-events"] = Same(BoundSystem, "system"),
            ["GET /metrics"] = Same(Aggregates, "metrics"),
        };

    private static Dictionary<string, string> Same(string decision, params string[] roles) => roles.ToDictionary(r => r, _ => decision);

    private static Dictionary<string, string> For(params (string Role, string Decision)[] decisions) =>
        decisions.ToDictionary(d => d.Role, d => d.Decision);
}
