using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Consent;

/// <summary>
/// R7: the banner's key ships inside public pages, so anyone can use it. It reads and records consent only for the visitor id it
/// presents, never a customer's, and it cannot state proof: the request's own address and user agent are recorded. The consent
/// recorder applies this to every write, the state endpoint to every read.
/// </summary>
internal static class BannerKeyScope
{
    internal const string VisitorOnly = "A banner key records and reads consent for the visitor id it presents only, never for a customer.";

    internal const string NoProof = "A banner key cannot state 'proof': the request's own address and user agent are recorded.";

    /// <summary>Whether the caller is a banner key (the only caller these limits apply to).</summary>
    public static bool Applies(ClaimsPrincipal user) => user.IsInRole(Roles.Banner);

    /// <summary>A read of a subject's state: visitors only.</summary>
    public static ProblemHttpResult? RefuseRead(ClaimsPrincipal user, SubjectType subject) =>
        Applies(user) && subject != SubjectType.Visitor ? Refuse(new() { ["subjectType"] = [VisitorOnly] }) : null;

    /// <summary>A decision or withdrawal: the subject (named by <paramref name="subjectField"/>) and the proof.</summary>
    public static ProblemHttpResult? RefuseWrite(ClaimsPrincipal user, string subjectField, SubjectType subject, ProofRequest? proof)
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
