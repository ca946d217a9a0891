using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Audit;
using Privacy.Api.Disclosures;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Requests;

/// <summary>The kinds of identifier a request may name its subject by.</summary>
public enum IdentifierKind
{
    /// <summary>The customer number (confirmed by the website's sign-in, or by ops).</summary>
    CustomerNumber = 1,

    /// <summary>An e-mail address.</summary>
    Email,

    /// <summary>A personnummer, samordningsnummer or organisationsnummer (kept as a keyed hash).</summary>
    NationalIdentityNumber,
}

/// <summary>
/// One identifier given on a rights request, with its verification: how, when and by whom (Art 11–12, EDPB Guidelines 01/2022).
/// Only a verified identifier decides whose data the request covers.
/// </summary>
public sealed class RequestIdentifier
{
    public long Id { get; set; }

    public Guid RequestId { get; set; }

    public IdentifierKind Kind { get; set; }

    /// <summary>The customer number or e-mail address, or the keyed hash of a national identity number (never the number itself).</summary>
    public required string Value { get; set; }

    /// <summary>For a national identity number: the id of the data key <see cref="Value"/> was made with.</summary>
    public string? KeyId { get; set; }

    /// <summary>
    /// For a national identity number: its keyed hashes under the other keys active when it was given, so it matches what was recorded
    /// before a rotation.
    /// </summary>
    public List<string>? HashesUnderOtherKeys { get; set; }

    public string? VerifiedHow { get; set; }

    public DateTimeOffset? VerifiedAt { get; set; }

    public string? VerifiedBy { get; set; }

    public bool Verified => VerifiedAt is not null;
}

/// <summary>
/// A customer number a request covers: matched by a verified identifier, or recorded by ops with the reason (one person, two
/// accounts). Only these customer numbers are erased, reported, exported and told to recipients.
/// </summary>
public sealed class RequestCustomer
{
    public long Id { get; set; }

    public Guid RequestId { get; set; }

    public required string CustomerNumber { get; set; }

    /// <summary>The verified identifier that matched it, or null when ops recorded it.</summary>
    public IdentifierKind? MatchedBy { get; set; }

    /// <summary>Why ops recorded it (required when no identifier matched it alone).</summary>
    public string? Reason { get; set; }

    public required string AddedBy { get; set; }

    public DateTimeOffset AddedAt { get; set; }
}

internal sealed class RequestIdentifierConfiguration : IEntityTypeConfiguration<RequestIdentifier>
{
    public void Configure(EntityTypeBuilder<RequestIdentifier> builder)
    {
        builder.ToTable("rights_request_identifiers");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).UseIdentityAlwaysColumn();
        builder.Property(i => i.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(i => i.Value).HasMaxLength(320);
        builder.Property(i => i.KeyId).HasMaxLength(32);
        builder.Property(i => i.VerifiedHow).HasMaxLength(500);
        builder.Property(i => i.VerifiedBy).HasMaxLength(64);
        builder.Ignore(i => i.Verified);
        builder.HasIndex(i => new { i.RequestId, i.Kind }).IsUnique();
    }
}

internal sealed class RequestCustomerConfiguration : IEntityTypeConfiguration<RequestCustomer>
{
    public void Configure(EntityTypeBuilder<RequestCustomer> builder)
    {
        builder.ToTable("rights_request_customers");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).UseIdentityAlwaysColumn();
        builder.Property(c => c.CustomerNumber).HasMaxLength(64);
        builder.Property(c => c.MatchedBy).HasConversion<string>().HasMaxLength(32);
        builder.Property(c => c.Reason).HasMaxLength(1000);
        builder.Property(c => c.AddedBy).HasMaxLength(64);
        builder.HasIndex(c => new { c.RequestId, c.CustomerNumber }).IsUnique();
        builder.HasIndex(c => c.CustomerNumber);
    }
}

/// <summary>What one identifier of a request matches among the data the service holds (for ops only: it names other customers).</summary>
public sealed record IdentifierMatches(IdentifierKind Kind, IReadOnlyList<string> CustomerNumbers);

/// <summary>
/// The identity rules of a rights request, in one place: which identifiers are verified, what each matches, and which customer
/// numbers the request covers. An identifier nobody verified never decides whose data a request covers or where it goes.
/// </summary>
public sealed class RequestIdentities(PrivacyDbContext db, DisclosureLog disclosures, AuditTrail audit, TimeProvider time)
{
    /// <summary>
    /// The identifiers given on a new request, none verified yet. A national identity number comes as its keyed hashes under every
    /// active key, the current one first (<see cref="Subjects.SubjectHasher.HashesUnderEveryKey"/>): it is kept under the current key,
    /// and matches what was recorded under the others.
    /// </summary>
    public static List<RequestIdentifier> Given(Guid requestId, string? customerNumber, string? email, IReadOnlyList<string>? nationalIdHashes = null,
        string? nationalIdKeyId = null)
    {
        var given = new List<RequestIdentifier>();
        if (customerNumber is not null)
        {
            given.Add(new RequestIdentifier { RequestId = requestId, Kind = IdentifierKind.CustomerNumber, Value = customerNumber });
        }

        if (email is not null)
        {
            given.Add(new RequestIdentifier { RequestId = requestId, Kind = IdentifierKind.Email, Value = email });
        }

        if (nationalIdHashes is { Count: > 0 })
        {
            given.Add(new RequestIdentifier
            {
                RequestId = requestId, Kind = IdentifierKind.NationalIdentityNumber, Value = nationalIdHashes[0], KeyId = nationalIdKeyId,
                HashesUnderOtherKeys = nationalIdHashes.Count == 1 ? null : [.. nationalIdHashes.Skip(1)],
            });
        }

        return given;
    }

    /// <summary>Records that <paramref name="identifier"/> was verified, and audits it (naming the kind, never the value).</summary>
    public void Verify(RequestIdentifier identifier, string how, string actor)
    {
        if (identifier.Verified)
        {
            return;
        }

        (identifier.VerifiedHow, identifier.VerifiedAt, identifier.VerifiedBy) = (how, time.GetUtcNow(), actor);
        // How is the verifier's free text (it may quote the identifier): it stays on the identifier, under the request's retention,
        // and the audit entry, kept for good, only says one was given.
        audit.Record("rights_request.identifier_verified", "rights_request", identifier.RequestId.ToString(),
            new { kind = identifier.Kind.ToString(), howGiven = how.Length > 0 });
    }

    /// <summary>
    /// The customer numbers an identifier matches in what the service holds: a customer number itself; a national identity number
    /// through the disclosure log (the keyed hash the senders recorded). An e-mail address matches none: the service keeps no index
    /// of customers' addresses, so it only ever confirms what ops check by hand.
    /// </summary>
    public async Task<IReadOnlyList<string>> MatchesAsync(RequestIdentifier identifier, CancellationToken cancellationToken) =>
        identifier.Kind switch
        {
            IdentifierKind.CustomerNumber => [identifier.Value],
            IdentifierKind.NationalIdentityNumber => await disclosures.CustomersWithNationalIdAsync(
                [identifier.Value, .. identifier.HashesUnderOtherKeys ?? []], cancellationToken),
            _ => [],
        };

    /// <summary>
    /// The website's sign-in verifies the customer number. Another identifier sent with it is verified only when it matches what
    /// the service already holds for that customer; otherwise it stays unverified until ops confirm it.
    /// </summary>
    public async Task VerifyBySignInAsync(RightsRequest request, string actor, CancellationToken cancellationToken)
    {
        var signedIn = request.Identifiers.Single(i => i.Kind == IdentifierKind.CustomerNumber);
        Verify(signedIn, "Signed in to the website", actor);
        foreach (var other in request.Identifiers.Where(i => i.Kind != IdentifierKind.CustomerNumber))
        {
            if ((await MatchesAsync(other, cancellationToken)).Contains(signedIn.Value))
            {
                Verify(other, "Matches what the service holds for the signed-in customer", actor);
            }
        }
    }

    /// <summary>
    /// The privacy center's one-time code verifies the e-mail address it was sent to. Another identifier given with it is verified
    /// only when it matches a customer the service holds for that address; the service keeps no index of addresses, so today none is,
    /// and ops confirm them. True when every identifier given is verified (the work can start).
    /// </summary>
    public async Task<bool> VerifyByEmailCodeAsync(RightsRequest request, string actor, CancellationToken cancellationToken)
    {
        var email = request.Identifiers.Single(i => i.Kind == IdentifierKind.Email);
        Verify(email, "One-time code sent to the address, entered in the privacy center", actor);
        var held = await MatchesAsync(email, cancellationToken);
        foreach (var other in request.Identifiers.Where(i => i.Kind != IdentifierKind.Email && !i.Verified))
        {
            if (held.Count > 0 && (await MatchesAsync(other, cancellationToken)).Any(held.Contains))
            {
                Verify(other, "Matches what the service holds for the confirmed e-mail address", actor);
            }
        }

        return request.Identifiers.All(i => i.Verified);
    }

    /// <summary>
    /// The customer numbers the verified identifiers decide on their own: the verified customer number, or else the one customer a
    /// verified identifier matches. A verified identifier matching several customers decides nothing: ops record which (and why).
    /// False when a verified identifier matches several customers and none is covered yet.
    /// </summary>
    public async Task<bool> CoverAsync(RightsRequest request, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var identifier in request.Identifiers.Where(i => i.Verified).OrderBy(i => i.Kind))
        {
            var matches = await MatchesAsync(identifier, cancellationToken);
            if (identifier.Kind == IdentifierKind.CustomerNumber || (matches.Count == 1 && request.Customers.Count == 0))
            {
                foreach (var customer in matches.Where(m => request.Customers.All(c => c.CustomerNumber != m)))
                {
                    request.Customers.Add(new RequestCustomer
                    {
                        RequestId = request.Id, CustomerNumber = customer, MatchedBy = identifier.Kind, AddedBy = actor, AddedAt = now,
                    });
                }
            }
            else if (matches.Count > 1 && request.Customers.Count == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Ops record that the request covers another customer number too, and why (e.g. one person, two accounts). Audited.</summary>
    public void AddCustomer(RightsRequest request, string customerNumber, string reason, string actor)
    {
        request.Customers.Add(new RequestCustomer
        {
            RequestId = request.Id, CustomerNumber = customerNumber, Reason = reason, AddedBy = actor, AddedAt = time.GetUtcNow(),
        });
        audit.Record("rights_request.customer_added", "rights_request", request.Id.ToString(), new { reasonGiven = true }); // the reason stays on the row
    }

    /// <summary>The request's identifiers with the customer numbers each matches (for ops).</summary>
    public async Task<IReadOnlyList<IdentifierMatches>> MatchesOfAsync(RightsRequest request, CancellationToken cancellationToken)
    {
        var all = new List<IdentifierMatches>();
        foreach (var identifier in request.Identifiers.OrderBy(i => i.Kind))
        {
            all.Add(new IdentifierMatches(identifier.Kind, await MatchesAsync(identifier, cancellationToken)));
        }

        return all;
    }

    /// <summary>Loads the identifiers and covered customers of a request read without them.</summary>
    public async Task LoadAsync(RightsRequest request, CancellationToken cancellationToken)
    {
        request.Identifiers = await db.Set<RequestIdentifier>().AsNoTracking().Where(i => i.RequestId == request.Id).ToListAsync(cancellationToken);
        request.Customers = await db.Set<RequestCustomer>().AsNoTracking().Where(c => c.RequestId == request.Id).ToListAsync(cancellationToken);
    }
}
