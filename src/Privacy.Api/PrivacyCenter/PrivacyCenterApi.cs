using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Banner;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;
using Privacy.Api.Requests;
using Privacy.Api.Subjects;

namespace Privacy.Api.PrivacyCenter;

/// <summary>
/// The privacy center: a public page where people who are not signed in exercise their rights, prove by a one-time code sent to
/// their e-mail address that the address is theirs, follow the request by a signed link, and fetch the answer (Art 12, 15, 20).
/// Nothing it answers depends on whether the service knows the address or the other identifiers given.
/// </summary>
public static partial class PrivacyCenterApi
{
    /// <summary>The per-client-address limit of the privacy center's public endpoints.</summary>
    public const string RateLimitPolicy = "privacy-center";

    public static IServiceCollection AddPrivacyCenter(this IServiceCollection services)
    {
        services.AddOptions<PrivacyCenterOptions>().BindConfiguration(PrivacyCenterOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PrivacyCenterOptions>, PrivacyCenterOptionsValidation>();
        services.AddSingleton<StatusLinks>();
        services.AddScoped<Verifications>();
        services.AddSingleton<PrivacyCenterSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<PrivacyCenterSweep>());
        services.AddRateLimiter(options => options.AddPolicy(RateLimitPolicy, http =>
        {
            var settings = http.RequestServices.GetRequiredService<IOptions<PrivacyCenterOptions>>().Value;
            return RateLimitPartition.GetFixedWindowLimiter(BannerApi.ClientAddress(http), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = settings.RateLimitPermits, Window = settings.RateLimitWindow, QueueLimit = 0,
            });
        }));
        return services;
    }

    public static IEndpointRouteBuilder MapPrivacyCenterApi(this IEndpointRouteBuilder routes)
    {
        var center = routes.MapGroup("/privacy-center").WithTags("Privacy center").AllowAnonymous().RequireCors(BannerApi.CorsPolicy);
        center.MapGet("/", Page)
            .WithName("GetPrivacyCenterPage")
            .WithSummary("The privacy center page: choose a right, give your e-mail address, confirm it with the code sent there")
            .WithDescription("Public, in Swedish or English (`lang`). The page embeds the privacy center script, which also runs on the " +
                             "website's own pages (`<script src=\"…/privacy-center/privacy-center.js\" data-target=\"#privacy-center\" defer>`; " +
                             "the origin must be in Banner:AllowedOrigins). `request` reopens the code entry of a request.")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesValidationProblem()
            .AnswersWithoutDatabase();
        center.MapGet("/privacy-center.js", Script)
            .WithName("GetPrivacyCenterScript")
            .WithSummary("The privacy center script (no dependencies)")
            .Produces<string>(StatusCodes.Status200OK, "text/javascript")
            .AnswersWithoutDatabase();
        center.MapGet("/privacy-center.css", Stylesheet)
            .WithName("GetPrivacyCenterStylesheet")
            .WithSummary("The privacy center's stylesheet (rules scoped to .spc- classes)")
            .Produces<string>(StatusCodes.Status200OK, "text/css")
            .AnswersWithoutDatabase();
        center.MapGet("/config", Config)
            .WithName("GetPrivacyCenterConfig")
            .WithSummary("What the privacy center offers: the rights, the consents that can be withdrawn, the purposes one may object to")
            .WithDescription("In the asked language (`sv` or `en`). The categories are what a rectification or completion may name.")
            .ProducesValidationProblem();
        center.MapPost("/requests", Submit)
            .WithName("SubmitPrivacyCenterRequest")
            .WithSummary("Make a rights request as a person who is not signed in; a one-time code goes to the e-mail address given")
            .WithDescription("Public. The same answer (202) for every address, known to the service or not: the request waits for its code " +
                             "(`PrivacyCenter:CodeValidity`, default 15 minutes; at most `PrivacyCenter:MaxAttempts` wrong codes, default 5). " +
                             "The code is sent through the outbox to the e-mail system (Requests:NotificationSystem) as a " +
                             "`rights_request.verification_code` event and kept only as a keyed hash. An unconfirmed request gets one " +
                             "reminder with a new code after `PrivacyCenter:ReminderAfter` (24 hours) and is closed as unconfirmed after " +
                             "`PrivacyCenter:CloseUnverifiedAfter` (7 days), and the person is told. The due date counts from now (Art 12(3)). " +
                             "Limited per client address (`PrivacyCenter:RateLimitPermits` per `RateLimitWindow`) and per e-mail address " +
                             "(`EmailLimitPermits` per `EmailLimitWindow`): 429 with Retry-After. A retry with the same `Idempotency-Key` and body " +
                             "answers the first answer and sends no second code (the page sends one per submission).")
            .WithRequestExample(new PrivacyCenterSubmission(RequestType.Access, new SubjectIdentifiers(null, "anna@example.com", null), null, null, "sv", null))
            .WithValidation<PrivacyCenterSubmission>()
            .Produces<PrivacyCenterAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireRateLimiting(RateLimitPolicy)
            .WithIdempotency(); // a retry after a lost answer makes no second request and sends no second code
        center.MapPost("/requests/{id:guid}/verification", Verify)
            .WithName("ConfirmPrivacyCenterCode")
            .WithSummary("Enter the code from the e-mail: the address is confirmed and the request goes ahead")
            .WithDescription("A wrong code answers 422 with `attemptsLeft`; the last allowed wrong code locks the request, which is closed as " +
                             "unconfirmed (409 from then on) and the person told. An expired code answers 422: ask for a new one. The right " +
                             "code confirms the e-mail address; a customer number or personnummer given too is confirmed only when it matches " +
                             "what the service holds for that address (today the service keeps no index of addresses, so ops confirm them: " +
                             "POST /requests/{id}/identity-verification). Without other identifiers the work starts at once. The answer " +
                             "and the `received` message carry the signed link to the request's status page.")
            .WithRequestExample(new CodeEntry("493817"))
            .WithValidation<CodeEntry>()
            .Produces<CodeAccepted>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireRateLimiting(RateLimitPolicy);
        center.MapPost("/requests/{id:guid}/code", Resend)
            .WithName("ResendPrivacyCenterCode")
            .WithSummary("Send a new code for a request waiting for one (the old one stops working)")
            .WithDescription("At most `PrivacyCenter:MaxResends` (default 3) per request, each at least `PrivacyCenter:ResendInterval` " +
                             "(1 minute) after the last: 429 with Retry-After otherwise. 409 once the request no longer waits for a code.")
            .Produces<CodeResent>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireRateLimiting(RateLimitPolicy);
        MapStatus(center);
        MapMailbox(routes);
        return routes;
    }

    public static IResult Script(HttpContext http) => BannerAssets.Serve(http, "privacy-center.js", "text/javascript; charset=utf-8", "PrivacyCenter");

    public static IResult Stylesheet(HttpContext http) => BannerAssets.Serve(http, "privacy-center.css", "text/css; charset=utf-8", "PrivacyCenter");

    public static Results<ContentHttpResult, ValidationProblem> Page(string? lang, string? request, HttpContext http)
    {
        if (Language(lang) is not { } language)
        {
            return LanguageProblem();
        }

        if (request is not null && !Guid.TryParseExact(request, "N", out _) && !Guid.TryParse(request, out _))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["request"] = ["'request' is the request id from the e-mail."] });
        }

        PrivateHeaders(http);
        return TypedResults.Content(PrivacyCenterPages.Shell($"{http.Request.PathBase}/privacy-center", language, request), "text/html; charset=utf-8");
    }

    public static async Task<Results<Ok<PrivacyCenterConfig>, ValidationProblem>> Config(
        string? lang, HttpContext http, RegistryCatalog registry, IOptions<PrivacyCenterOptions> options, CancellationToken cancellationToken)
    {
        if (Language(lang) is not { } language)
        {
            return LanguageProblem();
        }

        var texts = await registry.TextsAsync(cancellationToken);
        var purposes = await registry.PurposesAsync(cancellationToken);
        string Name(IReadOnlyDictionary<string, EntryText> book, string key, string fallback) => book.TryGetValue(key, out var t) ? t.NameIn(language) : fallback;
        var people = purposes.Where(p => p.DataSubjects.Contains(DataSubjectType.Customer)).ToList();
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers.Vary = "Origin"; // the website's copy carries CORS headers the service's own page's copy does not
        return TypedResults.Ok(new PrivacyCenterConfig(language, PrivacyCenterTexts.Rights(language),
            [.. people.Where(p => p.LegalBasis == LegalBasis.Consent).Select(p => new NamedEntry(p.Key, Name(texts.Purposes, p.Key, p.Name)))],
            [.. people.Where(p => p.DirectMarketing || p.LegalBasis is LegalBasis.LegitimateInterests or LegalBasis.PublicTask)
                .Select(p => new NamedEntry(p.Key, Name(texts.Purposes, p.Key, p.Name)))],
            [.. (await registry.CategoriesAsync(cancellationToken)).Select(c => new NamedEntry(c.Key, Name(texts.Categories, c.Key, c.Name)))],
            6, (int)options.Value.CodeValidity.TotalMinutes, $"{http.Request.PathBase}/banner/v1/policy?lang={language}"));
    }

    public static async Task<Results<Accepted<PrivacyCenterAccepted>, ValidationProblem, ProblemHttpResult>> Submit(
        PrivacyCenterSubmission submission, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, Verifications verifications,
        RegistryCatalog registry, SubjectHasher subjects, TimeProvider time, IOptions<PrivacyCenterOptions> options, CancellationToken cancellationToken)
    {
        var (errors, refused) = await RequestApi.CheckAgainstRegistryAsync(null, submission.Changes, submission.Purpose, registry, cancellationToken);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (refused is not null)
        {
            return refused;
        }

        // Per address, from anywhere: one person cannot flood another's inbox with codes. Counted from the requests themselves,
        // so every replica sees the same count.
        var emailKey = verifications.EmailKey(submission.Subject!.Email!);
        if (await verifications.RecentForAsync(emailKey, cancellationToken) >= options.Value.EmailLimitPermits)
        {
            http.Response.Headers.RetryAfter = ((int)options.Value.EmailLimitWindow.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests for this e-mail address",
                detail: "Several requests were made for this e-mail address recently; use the codes already sent, or try again later.",
                extensions: Reason("email_limit"));
        }

        var rights = RequestApi.NewRequest(submission.AsRightsRequest(), RequestChannel.PrivacyCenter, Verifications.Actor, subjects, time.GetUtcNow());
        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        db.Add(rights);
        workflow.Transition(rights, RequestStatus.Received, Verifications.Actor, "via the privacy center; waiting for the e-mail code");
        var verification = await verifications.StartAsync(rights, emailKey, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        return TypedResults.Accepted((string?)null, new PrivacyCenterAccepted(rights.Id, verification.CodeExpiresAt, options.Value.MaxAttempts));
    }

    public static async Task<Results<Ok<CodeAccepted>, ProblemHttpResult>> Verify(
        Guid id, CodeEntry entry, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities, Verifications verifications,
        StatusLinks links, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (rights, verification) = await LockAsync(id, db, workflow, cancellationToken);
        if (rights is null || verification is null)
        {
            return NoSuchRequest();
        }

        var result = verifications.Check(verification, entry.Code!);
        switch (result)
        {
            case CodeCheck.Closed:
                return NotWaiting();
            case CodeCheck.Wrong or CodeCheck.Expired:
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return WrongCode(result, verifications.AttemptsLeft(verification));
            case CodeCheck.Locked:
                // Art 12(6): the identity could not be confirmed. The address is told: it may be someone else trying theirs.
                await workflow.RejectAsync(rights, RejectionGround.IdentityNotConfirmed,
                    rights.Language == "sv" ? "Fel kod angavs för många gånger." : "A wrong code was entered too many times.", Verifications.Actor,
                    cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Locked",
                    detail: "A wrong code was entered too many times: the request is closed. Make a new request to try again.",
                    extensions: Reason("locked"));
        }

        var complete = await identities.VerifyByEmailCodeAsync(rights, Verifications.Actor, cancellationToken);
        if (complete && await identities.CoverAsync(rights, Verifications.Actor, cancellationToken))
        {
            await workflow.NotifyRequesterAsync(rights, "received", cancellationToken);
            await workflow.StartAsync(rights, Verifications.Actor, "E-mail address confirmed by a one-time code", cancellationToken);
        }
        else
        {
            // The other identifiers stay for ops to confirm (Art 12(6)): they never widen the request by themselves.
            workflow.Transition(rights, RequestStatus.Received, Verifications.Actor,
                "E-mail address confirmed by a one-time code; the other identifiers wait for ops", auditAction: "email_confirmed");
            await workflow.NotifyRequesterAsync(rights, "received", cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var path = links.Path(rights.Id);
        return TypedResults.Ok(new CodeAccepted(rights.Id, links.Url(rights.Id), path));
    }

    public static async Task<Results<Accepted<CodeResent>, ProblemHttpResult>> Resend(
        Guid id, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, Verifications verifications, IOptions<PrivacyCenterOptions> options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (rights, verification) = await LockAsync(id, db, workflow, cancellationToken);
        if (rights is null || verification is null)
        {
            return NoSuchRequest();
        }

        if (!verification.Open)
        {
            return NotWaiting();
        }

        if (!await verifications.ResendAsync(rights, verification, cancellationToken))
        {
            var wait = verification.Resends >= options.Value.MaxResends
                ? verification.CreatedAt + options.Value.CloseUnverifiedAfter - time.GetUtcNow()
                : verification.CodeIssuedAt + options.Value.ResendInterval - time.GetUtcNow();
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "No new code now",
                detail: verification.Resends >= options.Value.MaxResends
                    ? "As many new codes as allowed were sent for this request: use the latest, or make a new request."
                    : "A code was sent a moment ago: wait for it, or ask again after Retry-After seconds.",
                extensions: Reason(verification.Resends >= options.Value.MaxResends ? "resend_limit" : "resend_too_soon"));
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Accepted((string?)null, new CodeResent(rights.Id, verification.CodeExpiresAt));
    }

    /// <summary>A privacy-center request and its verification, locked: code entries on one request are counted one at a time.</summary>
    private static async Task<(RightsRequest? Request, RequestVerification? Verification)> LockAsync(
        Guid id, PrivacyDbContext db, RequestWorkflow workflow, CancellationToken cancellationToken)
    {
        var rights = await workflow.LockAsync(id, cancellationToken);
        if (rights is null || rights.Channel != RequestChannel.PrivacyCenter)
        {
            return (null, null);
        }

        return (rights, await db.Set<RequestVerification>().SingleOrDefaultAsync(v => v.RequestId == id, cancellationToken));
    }

    private static ProblemHttpResult WrongCode(CodeCheck result, int attemptsLeft) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
        {
            ["code"] = [result == CodeCheck.Expired
                ? "The code has expired: ask for a new one."
                : $"The code is not right: {attemptsLeft} attempt(s) left."],
        })
        {
            Status = StatusCodes.Status422UnprocessableEntity, Title = result == CodeCheck.Expired ? "Code expired" : "Wrong code",
            Extensions = { ["attemptsLeft"] = attemptsLeft, ["reason"] = result == CodeCheck.Expired ? "code_expired" : "wrong_code" },
        });

    private static ProblemHttpResult NoSuchRequest() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "There is no privacy-center request with this id.",
            extensions: Reason("no_such_request"));

    private static ProblemHttpResult NotWaiting() =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not waiting for a code",
            detail: "This request no longer waits for a code: it was confirmed, locked or closed. The e-mails about it say where it stands.",
            extensions: Reason("not_waiting"));

    /// <summary>
    /// A stable, machine-readable discriminator of a privacy-center problem (<c>wrong_code</c>, <c>code_expired</c>, <c>locked</c>,
    /// <c>not_waiting</c>, <c>no_such_request</c>, <c>email_limit</c>, <c>resend_limit</c>, <c>resend_too_soon</c>): the page
    /// branches on it and shows its own words in its own language, never the title or detail.
    /// </summary>
    private static Dictionary<string, object?> Reason(string reason) => new() { ["reason"] = reason };

    internal static string? Language(string? lang) => BannerApi.ParseLanguage(lang);

    internal static ValidationProblem LanguageProblem() => BannerApi.LanguageProblem();

    /// <summary>A page about one person's request: never cached, never sent on as a referrer, never indexed.</summary>
    internal static void PrivateHeaders(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers["X-Robots-Tag"] = "noindex";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'";
    }
}
