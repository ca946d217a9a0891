using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Consent;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;

namespace Privacy.Api.Disclosures;

/// <summary>The disclosure log (R4): what was given to which recipient (each partner reads its own in the partner feed).</summary>
public static class DisclosureApi
{
    public static IServiceCollection AddDisclosures(this IServiceCollection services) =>
        services.AddScoped<DisclosureLog>().AddSingleton<Subjects.SubjectHasher>();

    public static IEndpointRouteBuilder MapDisclosureApi(this IEndpointRouteBuilder routes)
    {
        var disclosures = routes.MapGroup("/disclosures").WithTags("Disclosures");
        disclosures.MapPost("/", Record)
            .WithName("RecordDisclosures")
            .WithSummary("Record disclosures of personal data to recipients (a batch, all or nothing)")
            .WithDescription("Each disclosure names the recipient, the customer, the categories, the purpose and the legal ground. " +
                             "Every category must be registered for that recipient and purpose (a registry link); the legal ground must " +
                             "be the purpose's legal basis (`contract` ↔ contract, `legal_obligation` ↔ legal obligation, `consent` ↔ " +
                             "consent, `legal_claims` ↔ legitimate interests); on `consent` the customer (with the visitors linked to " +
                             "them) must have had an active consent to the purpose at `disclosedAt`. Otherwise the whole batch is " +
                             "refused with 422 naming the field, because the disclosure would break the policy. Append-only.")
            .WithRequestExample(new RecordDisclosuresRequest([new DisclosureRequest("card-provider", "100234", ["user.name", "user.payment"],
                "customer_obligations", LegalGround.Contract, new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero), "ORDER-88213")]))
            .WithValidation<RecordDisclosuresRequest>()
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(Policies.OpsOrSystem);
        disclosures.MapGet("/", List)
            .WithName("ListDisclosures")
            .WithSummary("Find disclosures by customer, recipient, category and time")
            .WithDescription("Oldest first, paged by id: pass a page's `next` as `after`. All disclosures about one customer are what the " +
                             "access report lists as recipients.")
            .RequireAuthorization(Policies.OpsOrSystem);

        disclosures.MapPost("/search", FindBySubject)
            .WithName("FindDisclosuresByNationalIdentityNumber")
            .WithSummary("Find the disclosures about the holder of a national identity number")
            .WithDescription("The number goes in the body (never in a URL, which proxies and logs keep) and is compared by its keyed " +
                             "hash: disclosures recorded with the same number in any accepted format match. Oldest first, paged by id.")
            .WithRequestExample(new FindDisclosuresRequest("19811218-9876", null, 100))
            .WithValidation<FindDisclosuresRequest>()
            .RequireAuthorization(Policies.OpsOrSystem);
        return routes;
    }

    public static async Task<Results<Created<RecordedDisclosures>, ProblemHttpResult, ValidationProblem>> Record(
        RecordDisclosuresRequest request, HttpContext http, PrivacyDbContext db, AuditTrail audit, Subjects.SubjectHasher subjects,
        RegistryCatalog registry, ConsentCheck consent, EgressGate gate, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var items = request.Disclosures!;
        var late = Enumerable.Range(0, items.Count).Where(i => items[i].DisclosedAt > now.AddMinutes(5)).ToList();
        if (late.Count > 0)
        {
            return TypedResults.ValidationProblem(late.ToDictionary(i => $"disclosures[{i}].disclosedAt",
                _ => new[] { "'disclosedAt' must not be in the future." }));
        }

        // The registry decides what may be given to whom, for what: active purpose × category × recipient links.
        var recipients = items.Select(d => d.Recipient!).Distinct().ToList();
        var allowed = await gate.AllowedLinksAsync(recipients, cancellationToken); // the egress gate's rule, the same for every path
        var bases = await registry.LegalBasesAsync([.. items.Select(d => d.Purpose!).Distinct()], cancellationToken);
        var refused = new Dictionary<string, string[]>();
        for (var i = 0; i < items.Count; i++)
        {
            for (var j = 0; j < items[i].Categories!.Count; j++)
            {
                var (recipient, purpose, category) = (items[i].Recipient!, items[i].Purpose!, items[i].Categories![j]);
                if (!allowed.Contains((recipient, purpose, category)))
                {
                    refused[$"disclosures[{i}].categories[{j}]"] =
                    [
                        "The registry links this category to no such recipient and purpose (GET /registry/links): the disclosure would break the policy.",
                    ];
                }
            }

            var ground = items[i].LegalGround!.Value;
            if (bases.TryGetValue(items[i].Purpose!, out var basis) && basis != LegalGrounds.Basis(ground))
            {
                refused[$"disclosures[{i}].legalGround"] =
                [
                    $"'{LegalGrounds.Wire(ground)}' does not fit the purpose '{items[i].Purpose}', whose legal basis is {LegalGrounds.Describe(basis)}: " +
                    "a disclosure for it rests on that basis or not at all (Art 6(1)).",
                ];
            }
        }

        if (refused.Count > 0)
        {
            return NotAllowed(refused, "Register the category for the recipient and purpose first, or do not disclose it; the legal ground " +
                                       "must be the purpose's legal basis.");
        }

        var recordedBy = http.User.GetActor().KeyId;
        var rows = items.Select(d => new Disclosure
        {
            RecipientKey = d.Recipient!,
            PurposeKey = d.Purpose!,
            LegalGround = d.LegalGround!.Value,
            CustomerNumber = d.CustomerNumber!,
            NationalIdHash = d.NationalIdentityNumber is null ? null : subjects.HashNationalIdentityNumber(d.NationalIdentityNumber),
            NationalIdKeyId = d.NationalIdentityNumber is null ? null : subjects.CurrentKeyId,
            Categories = [.. d.Categories!],
            DisclosedAt = d.DisclosedAt!.Value,
            SenderReference = d.Reference,
            RecordedBy = recordedBy,
            RecordedAt = now,
        }).ToList();
        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);

        // Art 6(1)(a), 7: on the consent ground the customer (with the visitors linked to them) must have had an active consent to
        // the purpose when the data was given. Checked in this transaction, under the customers' consent locks (ConsentCheck).
        var onConsent = Enumerable.Range(0, items.Count).Where(i => items[i].LegalGround == LegalGround.Consent).ToList();
        var active = await consent.WereActiveAsync(
            [.. onConsent.Select(i => new ConsentQuestion(items[i].CustomerNumber!, items[i].Purpose!, items[i].DisclosedAt!.Value))], cancellationToken);
        for (var k = 0; k < onConsent.Count; k++)
        {
            if (!active[k])
            {
                refused[$"disclosures[{onConsent[k]}].legalGround"] =
                [
                    "The customer had no active consent to this purpose at 'disclosedAt' (never given, withdrawn, expired, or given under a " +
                    "policy version a material change had replaced): the consent ground does not hold.",
                ];
            }
        }

        if (refused.Count > 0)
        {
            return NotAllowed(refused, "Data may be disclosed on the consent ground only while the person's consent is active.");
        }

        db.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        audit.Record("disclosure.recorded", "disclosure", $"{rows[0].Id}..{rows[^1].Id}",
            new { count = rows.Count, recipients = recipients.Order() });
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        var ids = rows.Select(r => r.Id).ToList();
        return TypedResults.Created($"/disclosures?after={ids[0] - 1}", new RecordedDisclosures(ids.Count, ids));
    }

    private static ProblemHttpResult NotAllowed(Dictionary<string, string[]> errors, string remedy) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "Disclosure not allowed",
            Detail = "Nothing was recorded. " + remedy,
        });

    public static async Task<Results<Ok<DisclosurePage>, ValidationProblem>> List(
        PrivacyDbContext db, string? customerNumber, string? recipient, string? category, DateTimeOffset? from, DateTimeOffset? to,
        long? after, int? limit, CancellationToken cancellationToken)
    {
        if (Paging.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        (from, to) = (from?.ToUniversalTime(), to?.ToUniversalTime()); // an instant with any offset; timestamptz takes UTC
        var query = db.Set<Disclosure>().AsNoTracking().Where(d => d.Id > (after ?? 0));
        if (customerNumber is not null)
        {
            query = query.Where(d => d.CustomerNumber == customerNumber);
        }

        if (recipient is not null)
        {
            query = query.Where(d => d.RecipientKey == recipient);
        }

        if (category is not null)
        {
            query = query.Where(d => d.Categories.Contains(category));
        }

        if (from is not null)
        {
            query = query.Where(d => d.DisclosedAt >= from);
        }

        if (to is not null)
        {
            query = query.Where(d => d.DisclosedAt < to);
        }

        return TypedResults.Ok(await Page(query, size, cancellationToken));
    }

    public static async Task<Ok<DisclosurePage>> FindBySubject(
        FindDisclosuresRequest request, PrivacyDbContext db, Subjects.SubjectHasher subjects, CancellationToken cancellationToken)
    {
        // Its hashes under every active key: what was recorded before a rotation matches too.
        var hashes = subjects.HashesUnderEveryKey(request.NationalIdentityNumber).ToArray();
        var query = db.Set<Disclosure>().AsNoTracking().Where(d => hashes.Contains(d.NationalIdHash) && d.Id > (request.After ?? 0));
        return TypedResults.Ok(await Page(query, request.Limit ?? Paging.DefaultLimit, cancellationToken));
    }

    private static async Task<DisclosurePage> Page(IQueryable<Disclosure> query, int size, CancellationToken cancellationToken)
    {
        var items = await query.OrderBy(d => d.Id).Take(size)
            .Select(d => new DisclosureResponse(d.Id, d.RecipientKey, d.CustomerNumber, d.Categories, d.PurposeKey, d.LegalGround,
                d.DisclosedAt, d.SenderReference, d.RecordedAt, d.NationalIdHash != null))
            .ToListAsync(cancellationToken);
        return new DisclosurePage(items, items.Count == size ? items[^1].Id : null);
    }
}
