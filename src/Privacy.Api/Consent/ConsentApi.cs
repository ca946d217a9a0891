using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Audit;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;

namespace Privacy.Api.Consent;

/// <summary>Consent (R2, Art 7): purposes, decisions with proof, withdrawal, current state, history, receipts.</summary>
public static class ConsentApi
{
    public static IServiceCollection AddConsent(this IServiceCollection services)
    {
        services.AddOptions<ConsentOptions>().BindConfiguration(ConsentOptions.Section)
            .Validate(o => o.ValidityMonths is >= 1 and <= 24, "Consent:ValidityMonths must be 1–24.")
            .Validate(o => o.ExportBatchSize is >= 1 and <= 100_000, "Consent:ExportBatchSize must be 1–100000.")
            .Validate(o => o.ProofHashKey is null || Platform.Keys.DataKeyring.IsKey(o.ProofHashKey), "Consent:ProofHashKey (the legacy data key) must be base64 of at least 32 bytes.")
            .ValidateOnStart();
        services.AddScoped<ConsentRecorder>();
        services.AddScoped<ConsentHistory>();
        services.AddScoped<ConsentErasure>();
        services.AddScoped<ConsentCheck>();
        services.AddSingleton<UnsubscribeLinks>();
        services.Configure<Swashbuckle.AspNetCore.SwaggerGen.SwaggerGenOptions>(o => o.OperationFilter<OneClickFormOperationFilter>());
        services.AddSingleton<ConsentStateReader>();
        services.AddSingleton<ConsentStateCache>();
        services.AddHostedService(sp => sp.GetRequiredService<ConsentStateCache>());
        services.AddScoped<IDatabaseSeeder, PolicyVersionSeed>();
        return services;
    }

    public static IEndpointRouteBuilder MapConsentApi(this IEndpointRouteBuilder routes)
    {
        var consent = routes.MapGroup("/consent").WithTags("Consent");

        consent.MapGet("/purposes", ListPurposes)
            .WithName("ListConsentPurposes")
            .WithSummary("List the purposes the consent banner shows")
            .WithDescription("Purposes whose legal basis is consent, and strictly necessary ones (`alwaysOn`, listed but never asked). " +
                             "`limitedByGpc` purposes are denied when the browser sends Global Privacy Control. `dataSubjects`: whose " +
                             "consent to it is recorded; `consentChannels`: where a consent to it may be given (withdrawal: anywhere).")
            .RequireAuthorization(Policies.NotPartner);
        consent.MapPost("/decisions", RecordDecision)
            .WithName("RecordConsentDecision")
            .WithSummary("Record a consent decision with its proof")
            .WithDescription("One append-only event: the choice per purpose, the policy version and notice shown (its SHA-256, or the text " +
                             "itself), channel, language, and the person's IP address and user agent as proof (Art 7(1)). " +
                             "With `Sec-GPC: 1` or `gpc: true`, sale/sharing-like purposes are stored as denied. " +
                             "Answers the resulting state and the receipt id.")
            .WithRequestExample(Examples.Decision)
            .WithValidation<ConsentDecisionRequest>()
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireCors(Banner.BannerApi.CorsPolicy)
            .RequireAuthorization(Policies.ConsentRecorders);
        consent.MapGet("/subjects/{subjectType}/{subjectId}", GetState)
            .WithName("GetConsentState")
            .WithSummary("Read a subject's current consent per purpose")
            .WithDescription("`subjectType` is `customer` (customer number) or `visitor` (the consent cookie's id). Per purpose: granted, " +
                             "denied or never asked, since when, under which policy version, `reconsentRequired` after a material policy " +
                             "change, `expired` after the validity period; `active` is what the website may rely on; `askAgain` tells " +
                             "the banner to show. A customer's state includes the visitors linked to them. " +
                             "A banner key reads visitors only, by the id it presents.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireCors(Banner.BannerApi.CorsPolicy)
            .RequireAuthorization(Policies.ConsentReaders);
        consent.MapPost("/subjects/{subjectType}/{subjectId}/withdrawals", Withdraw)
            .WithName("WithdrawConsent")
            .WithSummary("Withdraw consent for some purposes or all (Art 7(3))")
            .WithDescription("As easy as giving it: one call. Recipients that rely on a withdrawn consent are notified through the outbox.")
            .WithRequestExample(new ConsentWithdrawalRequest(["newsletter"], null, ConsentChannel.SettingsPage, "sv",
                new ProofRequest("198.51.100.23", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15")))
            .WithValidation<ConsentWithdrawalRequest>()
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireCors(Banner.BannerApi.CorsPolicy)
            .RequireAuthorization(Policies.ConsentRecorders);
        consent.MapGet("/subjects/{subjectType}/{subjectId}/history", GetHistory)
            .WithName("GetConsentHistory")
            .WithSummary("Read a subject's full consent history with proofs")
            .WithDescription("Every event, oldest first, including those of linked visitors for a customer.")
            .RequireAuthorization(Policies.OpsOrSystem);
        consent.MapPost("/subjects/visitor/{visitorId}/link", LinkVisitor)
            .WithName("LinkVisitorToCustomer")
            .WithSummary("Link an anonymous visitor to the customer who logged in")
            .WithDescription("From then on the customer's state and history include the visitor's events; nothing is rewritten. " +
                             "Linking again to the same customer changes nothing; to another customer answers 409.")
            .WithRequestExample(new SubjectLinkRequest("100234"))
            .WithValidation<SubjectLinkRequest>()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.FrontendOrOps);
        consent.MapGet("/receipts/{receiptId:guid}", GetReceipt)
            .WithName("GetConsentReceipt")
            .WithSummary("Read the consent receipt of one recorded decision")
            .WithDescription("Kantara consent receipt v1.1 / ISO/IEC TS 27560 fields, for the person to keep. With `Accept: application/ld+json` " +
                             "the same decision as ISO/IEC TS 27560 consent records in JSON-LD with the W3C Data Privacy Vocabulary (DPV, " +
                             "profile https://w3id.org/dpv/schema/dpv-27560#record): one `dpv:ConsentRecord` per purpose in `@graph`, its " +
                             "`dpv:hasConsentStatus` ConsentGiven, ConsentRefused or ConsentWithdrawn.")
            .Produces<ConsentReceipt>(StatusCodes.Status200OK, "application/json")
            .Produces<System.Text.Json.Nodes.JsonObject>(StatusCodes.Status200OK, ConsentRecordJsonLd.MediaType)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.NotPartner);
        consent.MapPost("/receipts/{receiptId:guid}/proof-check", ConsentProofCheck.Check)
            .WithName("CheckConsentProof")
            .WithSummary("Check an IP address or user agent against the keyed hashes of a decision's proof")
            .WithDescription("Art 7(1): shows whether a presented address or browser is the one a decision came from, also after " +
                             "retention erased the clear values. Each proof is checked under the data key it was hashed with " +
                             "(`keyId`), so key rotations leave older proofs checkable. Audited; the values are not stored.")
            .WithRequestExample(new ProofRequest("203.0.113.7", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"))
            .WithValidation<ProofRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Ops);

        ConsentExport.Map(consent);
        UnsubscribeApi.Map(routes, consent);
        PolicyVersionApi.Map(consent);
        return routes;
    }

    private static class Examples
    {
        public static readonly ConsentDecisionRequest Decision = new(
            new SubjectRequest(SubjectType.Visitor, "3f9c2a7be1d84c55a0b6e2f4c8d1a9e0"),
            [
                new ConsentChoiceRequest("cookies.necessary", ConsentStatus.Granted),
                new ConsentChoiceRequest("cookies.preferences", ConsentStatus.Denied),
                new ConsentChoiceRequest("cookies.statistics", ConsentStatus.Granted),
            ],
            "2022-02-08",
            ConsentChannel.Banner,
            new NoticeRequest("banner-v1-sv", null, "Vi använder kakor för att webbplatsen ska fungera och, om du vill, för statistik."),
            "sv",
            false,
            new ProofRequest("198.51.100.23", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"));
    }

    public static async Task<Ok<List<ConsentPurposeResponse>>> ListPurposes(PrivacyDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.Set<Purpose>().AsNoTracking()
            .Where(p => p.RetiredAt == null && (p.LegalBasis == LegalBasis.Consent || p.AlwaysOn))
            .OrderBy(p => p.Key)
            .Select(p => new ConsentPurposeResponse(p.Key, p.Name, p.Description, p.AlwaysOn, p.LimitedByGpc, p.DataSubjects, p.ConsentChannels))
            .ToListAsync(cancellationToken));

    public static async Task<Results<Created<ConsentRecordedResponse>, ValidationProblem, ProblemHttpResult>> RecordDecision(
        ConsentDecisionRequest request, HttpContext http, ConsentRecorder recorder, CancellationToken cancellationToken) =>
        Answer(await recorder.RecordDecisionAsync(request, http, cancellationToken));

    public static async Task<Results<Ok<ConsentStateResponse>, ValidationProblem, ProblemHttpResult>> GetState(
        string subjectType, string subjectId, HttpContext http, ConsentStateReader states, IOptions<ConsentOptions> options,
        CancellationToken cancellationToken)
    {
        var (type, errors) = ParseSubject(subjectType, subjectId, options.Value);
        if (type is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return BannerKeyScope.RefuseRead(http.User, type.Value) is { } refused
            ? refused
            : TypedResults.Ok(await states.ReadAsync(type.Value, subjectId, cancellationToken));
    }

    public static async Task<Results<Created<ConsentRecordedResponse>, ValidationProblem, ProblemHttpResult>> Withdraw(
        string subjectType, string subjectId, ConsentWithdrawalRequest request, HttpContext http, ConsentRecorder recorder,
        IOptions<ConsentOptions> options, CancellationToken cancellationToken)
    {
        var (type, errors) = ParseSubject(subjectType, subjectId, options.Value);
        return type is null
            ? TypedResults.ValidationProblem(errors)
            : Answer(await recorder.RecordWithdrawalAsync(type.Value, subjectId, request, http, cancellationToken));
    }

    private static Results<Created<ConsentRecordedResponse>, ValidationProblem, ProblemHttpResult> Answer(ConsentWrite write) => write switch
    {
        { Refused: { } refused } => refused,
        { Recorded: { } recorded } => TypedResults.Created($"/consent/receipts/{recorded.ReceiptId}", recorded),
        _ => TypedResults.ValidationProblem(write.Errors),
    };

    public static async Task<Results<Ok<ConsentHistoryResponse>, ValidationProblem>> GetHistory(
        string subjectType, string subjectId, ConsentHistory history, IOptions<ConsentOptions> options, CancellationToken cancellationToken)
    {
        var (type, errors) = ParseSubject(subjectType, subjectId, options.Value);
        if (type is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await history.ReadAsync(type.Value, subjectId, cancellationToken));
    }

    public static async Task<Results<Ok<SubjectLinkResponse>, ProblemHttpResult, ValidationProblem>> LinkVisitor(
        string visitorId, SubjectLinkRequest request, HttpContext http, PrivacyDbContext db, AuditTrail audit, TimeProvider time,
        IOptions<ConsentOptions> options, CancellationToken cancellationToken)
    {
        var (_, errors) = ParseSubject("visitor", visitorId, options.Value);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var existing = await db.Set<SubjectLink>().AsNoTracking().SingleOrDefaultAsync(l => l.VisitorId == visitorId, cancellationToken);
        if (existing is not null)
        {
            return existing.CustomerNumber == request.CustomerNumber
                ? TypedResults.Ok(new SubjectLinkResponse(existing.VisitorId, existing.CustomerNumber, existing.LinkedAt))
                : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Linked to another customer",
                    detail: "This visitor id is already linked to a different customer.");
        }

        var link = new SubjectLink
        {
            VisitorId = visitorId, CustomerNumber = request.CustomerNumber!, LinkedAt = time.GetUtcNow(), LinkedBy = http.User.GetActor().KeyId,
        };
        db.Add(link);
        // The entry names no one: an id of its own, not a hash of the visitor id (anyone holding the id could find it, forever).
        audit.Record("consent.subject.linked", "consent_subject_link", Guid.CreateVersion7(link.LinkedAt).ToString("N"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new SubjectLinkResponse(link.VisitorId, link.CustomerNumber, link.LinkedAt));
    }

    public static async Task<Results<Ok<ConsentReceipt>, ContentHttpResult, ProblemHttpResult>> GetReceipt(
        Guid receiptId, HttpContext http, PrivacyDbContext db, IOptions<ControllerOptions> controller, IOptions<ConsentOptions> options,
        CancellationToken cancellationToken)
    {
        var receipt = await ConsentReceipts.BuildAsync(db, receiptId, controller.Value, options.Value.ValidityMonths, cancellationToken);
        if (receipt is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "There is no consent receipt with this id.");
        }

        if (http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(ConsentRecordJsonLd.MediaType, StringComparison.OrdinalIgnoreCase)))
        {
            return TypedResults.Content(ConsentRecordJsonLd.From(receipt).ToJsonString(), ConsentRecordJsonLd.MediaType, System.Text.Encoding.UTF8);
        }

        return TypedResults.Ok(receipt);
    }

    /// <summary>Route values name the subject: <c>customer</c> or <c>visitor</c>, and an id of the right shape.</summary>
    private static (SubjectType? Type, Dictionary<string, string[]> Errors) ParseSubject(string subjectType, string subjectId, ConsentOptions options)
    {
        SubjectType? type = subjectType switch
        {
            "customer" => SubjectType.Customer,
            "visitor" => SubjectType.Visitor,
            _ => null,
        };
        if (type is null)
        {
            return (null, new() { ["subjectType"] = ["'subjectType' must be customer or visitor."] });
        }

        return ConsentRules.IsValidSubjectId(options, type, subjectId)
            ? (type, [])
            : (null, new() { ["subjectId"] = [type == SubjectType.Customer ? "'subjectId' is not a valid customer number." : "'subjectId' is not a valid visitor id."] });
    }
}
