using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;
using Privacy.Api.Registry;

namespace Privacy.Api.Disclosures;

/// <summary>A party personal data may leave the service for.</summary>
public enum PartyKind
{
    /// <summary>A registry recipient (processor, third party, authority): it may hold what the disclosure log says it was given.</summary>
    Recipient = 1,

    /// <summary>An internal system of the registry: it may hold the categories the registry says it holds.</summary>
    System,
}

/// <summary>The purpose and ground under which a recipient was last given a category of a customer's data.</summary>
public sealed record GivenUnder(string Purpose, LegalGround Ground);

/// <summary>
/// What one message to one party may carry (the egress gate's answer for that party), and what was asked of it: values go in
/// only through <see cref="Value"/> and <see cref="Values"/>, which let through the categories the party may have and note the
/// rest as withheld. <see cref="EgressGate.Send"/> then logs what was sent and audits what was withheld.
/// </summary>
public sealed class Release
{
    private readonly IReadOnlySet<string> _allowed;
    private readonly SortedSet<string> _sent = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _withheld = new(StringComparer.Ordinal);

    internal Release(PartyKind kind, string party, string? customerNumber, IReadOnlyDictionary<string, GivenUnder> given, IReadOnlySet<string> allowed)
    {
        (Kind, Party, CustomerNumber, Given, _allowed) = (kind, party, customerNumber, given, allowed);
    }

    public PartyKind Kind { get; }

    public string Party { get; }

    /// <summary>For a recipient: the customer the release is about.</summary>
    public string? CustomerNumber { get; }

    /// <summary>For a recipient: each category it was given about the customer, with the purpose and ground of the latest disclosure.</summary>
    public IReadOnlyDictionary<string, GivenUnder> Given { get; }

    /// <summary>
    /// The categories the party holds: for a recipient, those the disclosure log says it was given (it may be told to erase or
    /// restrict them even after the registry stopped linking them); for a system, those the registry says it holds.
    /// </summary>
    public IReadOnlyCollection<string> Held => Kind == PartyKind.Recipient ? (IReadOnlyCollection<string>)Given.Keys.ToList() : [.. _allowed];

    /// <summary>
    /// Whether a value of <paramref name="category"/> may be sent: for a recipient, a category it was given under a purpose the
    /// registry still links to it (recipient × purpose × category); for a system, a category it holds.
    /// </summary>
    public bool Allows(string category) => _allowed.Contains(category);

    internal IReadOnlyCollection<string> Sent => _sent;

    internal IReadOnlyCollection<string> Withheld => _withheld;

    /// <summary>The value, if the party may have its category; otherwise null, noted as withheld.</summary>
    public string? Value(string category, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (!Allows(category))
        {
            _withheld.Add(category);
            return null;
        }

        _sent.Add(category);
        return value;
    }

    /// <summary>The values (keyed by category) the party may have; the others are noted as withheld. Null when none is left.</summary>
    public Dictionary<string, string?>? Values(IReadOnlyDictionary<string, string?>? byCategory)
    {
        if (byCategory is null)
        {
            return null;
        }

        var released = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (category, value) in byCategory)
        {
            if (Allows(category))
            {
                _sent.Add(category);
                released[category] = value;
            }
            else
            {
                _withheld.Add(category);
            }
        }

        return released.Count == 0 ? null : released;
    }
}

/// <summary>
/// The one way personal data leaves the service for a recipient or an internal system (Art 5(1)(b), (c) and (f), Art 19,
/// Art 30(1)(d)): webhook bodies, follow-ups (and with them the partner feed), rights-request tasks and requester messages are
/// built from a <see cref="Release"/> and sent with <see cref="Send"/>, the only caller of <see cref="Outbox"/>. It lets
/// through only the categories the registry allows the party, records every value it sends a recipient as a disclosure in the
/// same transaction, and audits what it withheld. Disclosures recorded by systems are checked by <see cref="AllowedLinksAsync"/>.
/// </summary>
public sealed class EgressGate(PrivacyDbContext db, Outbox outbox, AuditTrail audit, TimeProvider time)
{
    /// <summary>The active recipient × purpose × category links of the registry for <paramref name="recipients"/>.</summary>
    public async Task<HashSet<(string Recipient, string Purpose, string Category)>> AllowedLinksAsync(
        IReadOnlyCollection<string> recipients, CancellationToken cancellationToken) =>
        (await db.Set<ProcessingLink>().AsNoTracking()
            .Where(l => l.RetiredAt == null && l.RecipientKey != null && recipients.Contains(l.RecipientKey))
            .Join(db.Set<Recipient>().Where(r => r.RetiredAt == null), l => l.RecipientKey, r => r.Key, (l, r) => l)
            .Join(db.Set<Purpose>().Where(p => p.RetiredAt == null), l => l.PurposeKey, p => p.Key, (l, p) => l)
            .Join(db.Set<DataCategory>().Where(c => c.RetiredAt == null), l => l.CategoryKey, c => c.Key,
                (l, c) => new { l.RecipientKey, l.PurposeKey, l.CategoryKey })
            .ToListAsync(cancellationToken))
        .Select(l => (l.RecipientKey!, l.PurposeKey, l.CategoryKey)).ToHashSet();

    /// <summary>What an internal system may be sent: the categories the registry says it holds (none for an unknown or retired one).</summary>
    public async Task<Release> ForSystemAsync(string system, CancellationToken cancellationToken)
    {
        var categories = await db.Set<InternalSystemCategory>().AsNoTracking()
            .Where(c => c.SystemKey == system && db.Set<InternalSystem>().Any(s => s.Key == system && s.RetiredAt == null))
            .Select(c => c.CategoryKey).ToListAsync(cancellationToken);
        return new Release(PartyKind.System, system, null, new Dictionary<string, GivenUnder>(), categories.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// A release for every recipient the disclosure log says was given data about <paramref name="customerNumber"/> (only data
    /// disclosed for <paramref name="purposes"/>, when given), in recipient order.
    /// </summary>
    public async Task<IReadOnlyList<Release>> ForRecipientsOfAsync(
        string customerNumber, IReadOnlyCollection<string>? purposes, CancellationToken cancellationToken) =>
        await RecipientReleasesAsync(customerNumber, null, purposes, cancellationToken);

    /// <summary>The release for one recipient about one customer (holding nothing when it was given nothing).</summary>
    public async Task<Release> ForRecipientAsync(string recipient, string customerNumber, CancellationToken cancellationToken) =>
        (await RecipientReleasesAsync(customerNumber, recipient, null, cancellationToken)).SingleOrDefault()
        ?? new Release(PartyKind.Recipient, recipient, customerNumber, new Dictionary<string, GivenUnder>(), new HashSet<string>());

    private async Task<IReadOnlyList<Release>> RecipientReleasesAsync(
        string customerNumber, string? recipient, IReadOnlyCollection<string>? purposes, CancellationToken cancellationToken)
    {
        var query = db.Set<Disclosure>().AsNoTracking().Where(d => d.CustomerNumber == customerNumber);
        if (recipient is not null)
        {
            query = query.Where(d => d.RecipientKey == recipient);
        }

        if (purposes is not null)
        {
            query = query.Where(d => purposes.Contains(d.PurposeKey));
        }

        var rows = await query.OrderBy(d => d.DisclosedAt).ThenBy(d => d.Id)
            .Select(d => new { d.RecipientKey, d.PurposeKey, d.LegalGround, d.Categories }).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return [];
        }

        var links = await AllowedLinksAsync([.. rows.Select(r => r.RecipientKey).Distinct()], cancellationToken);
        return rows.GroupBy(r => r.RecipientKey).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var given = new Dictionary<string, GivenUnder>(StringComparer.Ordinal);
            foreach (var row in g)
            {
                foreach (var category in row.Categories)
                {
                    given[category] = new GivenUnder(row.PurposeKey, row.LegalGround); // the latest disclosure wins
                }
            }

            var allowed = given.Where(c => links.Contains((g.Key, c.Value.Purpose, c.Key))).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
            return new Release(PartyKind.Recipient, g.Key, customerNumber, given, allowed);
        }).ToList();
    }

    /// <summary>
    /// Queues <paramref name="data"/>, built from <paramref name="release"/>, for the party's webhook (the caller's transaction,
    /// which it requires), and settles the release: <see cref="Settle"/>.
    /// </summary>
    public void Send(Release release, string eventType, object data, string? orderingKey, string reference, string actor, Guid? messageId = null)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Personal data leaves in the transaction of the change that causes it.");
        }

        Settle(release, reference, actor);
        outbox.Enqueue(release.Party, eventType, data, orderingKey, messageId);
    }

    /// <summary>
    /// Records what the release let through to a recipient as disclosures (each value under the purpose and ground the recipient
    /// was given that category for: a corrected value is new personal data for it), and audits what it withheld.
    /// </summary>
    public void Settle(Release release, string reference, string actor)
    {
        var now = time.GetUtcNow();
        if (release.Kind == PartyKind.Recipient && release.Sent.Count > 0)
        {
            foreach (var group in release.Sent.GroupBy(c => release.Given[c]))
            {
                db.Add(new Disclosure
                {
                    RecipientKey = release.Party, PurposeKey = group.Key.Purpose, LegalGround = group.Key.Ground,
                    CustomerNumber = release.CustomerNumber!, Categories = [.. group], DisclosedAt = now, SenderReference = reference,
                    RecordedBy = actor, RecordedAt = now,
                });
            }
        }

        if (release.Withheld.Count > 0)
        {
            audit.Record("egress.withheld", release.Kind == PartyKind.Recipient ? "recipient" : "internal_system", release.Party,
                new { categories = release.Withheld, reference });
        }
    }

    /// <summary>
    /// The refusals for a caller that named <paramref name="release"/>'s party itself and asked to send it values it may not have
    /// (422 naming each field): nothing is sent then.
    /// </summary>
    public static Dictionary<string, string[]> Refusals(Release release, IEnumerable<string> categories, string field) =>
        categories.Where(c => !release.Allows(c)).ToDictionary(c => $"{field}.{c}", _ => new[]
        {
            // The party is not repeated: it is what the caller typed, and may be anything.
            release.Kind == PartyKind.Recipient
                ? "The recipient was never given this category of the customer's data for a purpose the registry links to it: telling it the value would disclose it."
                : "The registry does not say this system holds this category.",
        });

    /// <summary>The actor recorded for data the service sends on its own (background jobs).</summary>
    public static string ServiceActor => Actor.Service.KeyId;
}
