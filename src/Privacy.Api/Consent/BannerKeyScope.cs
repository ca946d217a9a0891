using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Consent;

/// <summary>
/// R7: the banner's key ships inside public pages, so anyone can use it. It reads and records consent only for the visitor id it
/// presents, never a customer's; it cannot state proof (the request's own address and user agent are recorded); it records on
/// channel <c>banner</c> only; and its decisions and withdrawals reach only the purposes the banner asks about
/// (<c>Banner:Purposes</c>). A visitor id may be linked to a customer, whose state includes the visitor's events: without the last
/// rule, the public key could grant or withdraw that customer's newsletter or third-party marketing (and send partners
/// consent_withdrawn follow-ups). The consent recorder applies these to every write, the state endpoint to every read.
/// </summary>
internal static class BannerKeyScope
{
    internal const string VisitorOnly = "A banner key records and reads consent for the visitor id it presents only, never for a customer.";

    internal const string NoProof = "A banner key cannot state 'proof': the request's own address and user agent are recorded.";

    internal const string BannerChannelOnly = "A banner key records on channel 'banner' only: it cannot claim another (settings_page, signup_form, …).";

    internal const string BannerPurposesOnly =
        "A banner key decides and withdraws only the purposes the banner asks about (Banner:Purposes); the others are for the website's " +
        "server to record.";

    /// <summary>Whether the caller is a banner key (the only caller these limits apply to).</summary>
    public static bool Applies(ClaimsPrincipal user) => user.IsInRole(Roles.Banner);

    /// <summary>A read of a subject's state: visitors only.</summary>
    public static ProblemHttpResult? RefuseRead(ClaimsPrincipal user, SubjectType subject) =>
        Applies(user) && subject != SubjectType.Visitor ? Refuse(new() { ["subjectType"] = [VisitorOnly] }) : null;

    /// <summary>
    /// A decision or withdrawal: the subject (named by <paramref name="subjectField"/>), the proof, the channel and each purpose
    /// (with the field that names it).
    /// </summary>
    public static ProblemHttpResult? RefuseWrite(ClaimsPrincipal user, IReadOnlyCollection<string> bannerPurposes, string subjectField,
        SubjectType subject, ProofRequest? proof, ConsentChannel channel, IEnumerable<(string Field, string Purpose)> purposes)
    {
        if (!Applies(user))
        {
            return null;
        }

        var errors = new Dictionary<string, string[]>();
        if (subject != SubjectType.Visitor)
        {
            errors[subjectField] = [VisitorOnly];
        }

        if (proof is not null)
        {
            errors["proof"] = [NoProof];
        }

        if (channel != ConsentChannel.Banner)
        {
            errors["channel"] = [BannerChannelOnly];
        }

        foreach (var (field, purpose) in purposes.Where(p => !bannerPurposes.Contains(p.Purpose)))
        {
            errors[field] = [BannerPurposesOnly];
        }

        return errors.Count == 0 ? null : Refuse(errors);
    }

    private static ProblemHttpResult Refuse(Dictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Outside the banner key's scope",
            Detail = string.Join(" ", errors.Values.SelectMany(e => e).Distinct()),
        });
}
