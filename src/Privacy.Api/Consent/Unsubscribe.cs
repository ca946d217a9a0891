using System.Buffers.Text;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Npgsql;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Security;
using Privacy.Api.PrivacyCenter;
using Privacy.Api.Registry;
using Privacy.Api.Requests;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Consent;

/// <summary>
/// One-click unsubscribe (RFC 8058) for the newsletter and any other purpose resting on consent: the e-mail system fetches a
/// signed per-subscriber link for the <c>List-Unsubscribe</c> header; the mail client POSTs <c>List-Unsubscribe=One-Click</c> to
/// it, which records the withdrawal (Art 7(3): as easy as giving; Art 21(2)–(3): an objection to direct marketing is absolute).
/// A GET shows a confirmation page and changes nothing: link scanners fetch every link in a mail.
/// </summary>
public static class UnsubscribeApi
{
    /// <summary>The form field and value of RFC 8058 section 3.1, and the <c>List-Unsubscribe-Post</c> header that announces them.</summary>
    public const string OneClickField = "List-Unsubscribe";

    public const string OneClickValue = "One-Click";

    public const string ListUnsubscribePost = OneClickField + "=" + OneClickValue;

    /// <summary>The links endpoint, in the consent group (<c>/consent/unsubscribe-links</c>), and the pages the links open.</summary>
    internal static void Map(IEndpointRouteBuilder routes, RouteGroupBuilder consent)
    {
        consent.MapGet("/unsubscribe-links", GetLinks)
            .WithName("GetUnsubscribeLinks")
            .WithSummary("The List-Unsubscribe headers of one subscriber's mail (RFC 8058 one-click unsubscribe)")
            .WithDescription("For the e-mail system (the system key bound to `Requests:NotificationSystem`; any other system key gets " +
                             "404) and ops. Answers both header values ready to use: `listUnsubscribe` (`<https://…/unsubscribe/TOKEN>`) " +
                             "and `listUnsubscribePost` (`List-Unsubscribe=One-Click`), and the bare `url`. The token is signed and " +
                             "opaque (it names the subject and purpose, encrypted), has no expiry, so links in old mails keep working, " +
                             "and stops opening only when the secret-encryption data key it was made under is retired. `purpose` must " +
                             "rest on consent and take consent from `subjectType` (422 naming `purpose` otherwise).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(Policies.OpsOrSystem);

        // The mail client posts without cookies or credentials (RFC 8058 section 3.2): the signed link is the only authority.
        var pages = routes.MapGroup("/unsubscribe").WithTags("Consent").AllowAnonymous();
        pages.MapGet("/{token}", ShowPage)
            .WithName("GetUnsubscribePage")
            .WithSummary("The page an unsubscribe link opens: asks to confirm, changes nothing")
            .WithDescription("A confirmation page in Swedish (`lang=sv`, default) or English (`lang=en`) with one button that posts the " +
                             "one-click form. A GET never unsubscribes: mail scanners and link previews fetch it. A link that was changed, " +
                             "made up or made under a retired key answers 404 and says nothing about whom it was for.")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        pages.MapPost("/{token}", Unsubscribe)
            .WithName("UnsubscribeOneClick")
            .WithSummary("One-click unsubscribe: withdraw the consent the link names (RFC 8058)")
            .WithDescription("The body is the form `List-Unsubscribe=One-Click` (`application/x-www-form-urlencoded` or " +
                             "`multipart/form-data`); without it, 400 naming `List-Unsubscribe`. Records the withdrawal on the channel " +
                             "`one_click_unsubscribe`, with the poster's IP address and user agent as proof, and tells each recipient " +
                             "that was given data under the consent (`consent_withdrawn`). A second post records nothing and answers " +
                             "the same. 200 with a short confirmation: an HTML page when `Accept` prefers `text/html` (the page's own " +
                             "button), otherwise JSON. An unknown, changed or made-up link answers 404 and says nothing about anyone.")
            // Not .Accepts<T>(): its content-type match would answer another type before the handler, as an endpoint needing a
            // key (401). The handler reads the form itself and names the missing field; the filter below documents the body.
            .WithMetadata(new OneClickFormMetadata())
            .Produces<UnsubscribedResponse>() // the JSON answer; a browser asking for text/html gets the page instead (described above)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    public static async Task<Results<Ok<UnsubscribeLinksResponse>, ValidationProblem, ProblemHttpResult>> GetLinks(
        string? subjectType, string? subjectId, string? purpose, HttpContext http, PrivacyDbContext db, UnsubscribeLinks links,
        IOptions<ConsentOptions> consent, IOptions<RequestsOptions> requests, CancellationToken cancellationToken)
    {
        // The links are the e-mail system's to put in its mails; another system's key learns nothing here, not even the rules.
        if (http.User.IsInRole(Roles.System) && http.User.GetActor().System != requests.Value.NotificationSystem)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "Unsubscribe links are given to the e-mail system's key (Requests:NotificationSystem) only.");
        }

        var errors = new Dictionary<string, string[]>();
        var type = ParseSubjectType(subjectType);
        if (type is null)
        {
            errors["subjectType"] = ["'subjectType' must be customer or visitor."];
        }
        else if (!ConsentRules.IsValidSubjectId(consent.Value, type, subjectId))
        {
            errors["subjectId"] = [type == SubjectType.Customer ? "'subjectId' is not a valid customer number." : "'subjectId' is not a valid visitor id."];
        }

        if (string.IsNullOrEmpty(purpose) || purpose.Length > 100)
        {
            errors["purpose"] = ["'purpose' must name a purpose of the registry (at most 100 characters), e.g. newsletter."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var entry = await db.Set<Purpose>().AsNoTracking().Where(p => p.Key == purpose && p.RetiredAt == null)
            .Select(p => new { p.LegalBasis, p.DataSubjects }).SingleOrDefaultAsync(cancellationToken);
        // Only a consent can be withdrawn by a link: processing on another basis is not the person's to stop with a click.
        var refusal = entry is null || entry.LegalBasis != LegalBasis.Consent
            ? $"'{purpose}' is not an active purpose resting on consent: only a consent is withdrawn by an unsubscribe link."
            : !entry.DataSubjects.Contains(ToDataSubject(type!.Value))
                ? $"'{purpose}' does not take consent from a {Wire(type!.Value)}: the registry's dataSubjects for it are " +
                  $"{string.Join(", ", entry.DataSubjects.Select(s => s.ToString().ToLowerInvariant()))}."
                : null;
        if (refusal is not null)
        {
            return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["purpose"] = [refusal] })
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "No unsubscribe link for this purpose",
                Detail = refusal,
            });
        }

        var url = links.Url(new UnsubscribeSubject(purpose!, type!.Value, subjectId!));
        return TypedResults.Ok(new UnsubscribeLinksResponse($"<{url}>", ListUnsubscribePost, url));
    }

    public static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> ShowPage(
        string token, string? lang, HttpContext http, UnsubscribeLinks links, PrivacyDbContext db, CancellationToken cancellationToken)
    {
        if (links.Read(token) is not { } subject)
        {
            return LinkNotFound();
        }

        if (ParseLanguage(lang) is not { } language)
        {
            return LanguageProblem();
        }

        var name = await PurposeName(db, subject.Purpose, language, cancellationToken);
        return UnsubscribePage.Confirm(http, language, name, token);
    }

    public static async Task<Results<Ok<UnsubscribedResponse>, ContentHttpResult, ValidationProblem, ProblemHttpResult>> Unsubscribe(
        string token, string? lang, HttpContext http, UnsubscribeLinks links, PrivacyDbContext db, ConsentRecorder recorder,
        ConsentStateReader states, CancellationToken cancellationToken)
    {
        if (links.Read(token) is not { } subject)
        {
            return LinkNotFound();
        }

        if (ParseLanguage(lang) is not { } language)
        {
            return LanguageProblem();
        }

        if (!await IsOneClickAsync(http.Request, cancellationToken))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [OneClickField] = [$"The form must hold {ListUnsubscribePost} (RFC 8058), as application/x-www-form-urlencoded or multipart/form-data."],
            });
        }

        // The signed link alone decides: a key sent along (a banner key in a page, a server's key) is not the person's, and neither
        // widens nor narrows what the link does; the event is recorded as anonymous, as the mail client's post is.
        http.User = new ClaimsPrincipal(new ClaimsIdentity());
        await WithdrawOnceAsync(subject, language, http, db, recorder, states, cancellationToken);
        if (PrefersHtml(http.Request))
        {
            return UnsubscribePage.Done(http, language, await PurposeName(db, subject.Purpose, language, cancellationToken));
        }

        UnsubscribePage.Protect(http.Response);
        return TypedResults.Ok(new UnsubscribedResponse("unsubscribed", subject.Purpose));
    }

    /// <summary>
    /// Records the withdrawal unless the purpose is withdrawn already (a second post, a retry by the mail client, the page's button
    /// after the mail client's post): the check and the write hold the subject's consent lock, so two posts record one withdrawal.
    /// A subject that never consented gets the withdrawal too: it is their objection to that marketing, on record (Art 21(3)).
    /// </summary>
    private static async Task WithdrawOnceAsync(UnsubscribeSubject subject, string language, HttpContext http, PrivacyDbContext db,
        ConsentRecorder recorder, ConsentStateReader states, CancellationToken cancellationToken)
    {
        var purpose = await db.Set<Purpose>().AsNoTracking()
            .AnyAsync(p => p.Key == subject.Purpose && p.RetiredAt == null && p.LegalBasis == LegalBasis.Consent, cancellationToken);
        if (!purpose)
        {
            return; // retired, or no longer resting on consent: nothing is processed on this consent any more
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var npgsqlTransaction = (NpgsqlTransaction)transaction.GetDbTransaction();
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, npgsqlTransaction))
        {
            lockCommand.Parameters.AddWithValue(ConsentRecorder.SubjectLock(subject.Type, subject.Id));
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var state = await states.ReadAsync(connection, npgsqlTransaction, subject.Type, subject.Id, cancellationToken);
        if (state.Purposes.FirstOrDefault(p => p.Purpose == subject.Purpose) is { Status: ConsentStatus.Denied })
        {
            return; // withdrawn already: nothing new to record, and the answer is the same
        }

        // The proof is the poster's own address and user agent (ProofRequest null): nobody states them on its behalf.
        var written = await recorder.RecordWithdrawalAsync(subject.Type, subject.Id,
            new ConsentWithdrawalRequest([subject.Purpose], null, ConsentChannel.OneClickUnsubscribe, language, null), http, cancellationToken);
        if (written.Recorded is null && written.Errors.ContainsKey("purposes[0]"))
        {
            return; // the registry no longer asks this subject for it, and it was never granted: there is nothing to withdraw
        }

        if (written.Recorded is null)
        {
            // Not reached while the purpose rests on consent and a policy version is in effect; the keys say which rule, never whom.
            throw new InvalidOperationException($"The unsubscribe's withdrawal was refused: {string.Join("; ", written.Errors.Keys)}");
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Whether the body is a form holding <c>List-Unsubscribe=One-Click</c>.</summary>
    private static async Task<bool> IsOneClickAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            return false;
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException)
        {
            return false; // a form that does not parse (a broken multipart boundary, too many fields) holds no such field
        }

        return form.TryGetValue(OneClickField, out var values) && values.Count == 1 && values[0] == OneClickValue;
    }

    /// <summary>An HTML answer only when the client ranks text/html above JSON (a browser); a mail client gets JSON.</summary>
    private static bool PrefersHtml(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return false;
        }

        double Quality(string type) => accepted.Where(a => a.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase))
            .Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        var html = Quality("text/html");
        return html > 0 && html >= Quality("application/json");
    }

    private static async Task<string> PurposeName(PrivacyDbContext db, string purpose, string language, CancellationToken cancellationToken)
    {
        var names = await db.Set<Purpose>().AsNoTracking().Where(p => p.Key == purpose)
            .Select(p => new { p.Name, p.NameSv, p.NameEn }).SingleOrDefaultAsync(cancellationToken);
        return names is null ? purpose : (language == "sv" ? names.NameSv : names.NameEn) ?? names.Name;
    }

    private static ProblemHttpResult LinkNotFound() =>
        // Whatever the reason (changed, made up, another kind of link, a retired key), the answer is the same and names no one.
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
            detail: "This unsubscribe link does not open: it may have been changed or be too old.");

    private static string? ParseLanguage(string? lang) => Banner.BannerApi.ParseLanguage(lang);

    private static ValidationProblem LanguageProblem() => Banner.BannerApi.LanguageProblem();

    internal static SubjectType? ParseSubjectType(string? value) => value switch
    {
        "customer" => SubjectType.Customer,
        "visitor" => SubjectType.Visitor,
        _ => null,
    };

    internal static string Wire(SubjectType type) => type == SubjectType.Customer ? "customer" : "visitor";

    private static DataSubjectType ToDataSubject(SubjectType type) => type == SubjectType.Customer ? DataSubjectType.Customer : DataSubjectType.Visitor;
}
