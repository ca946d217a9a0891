using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Consent;

/// <summary>
/// R7: the banner's key ships inside public pages, so it records and reads consent only for the visitor id it presents,
/// never a customer's, and it cannot state proof: the request's own address and user agent are what is recorded.
/// </summary>
internal static class BannerKeyScope
{
    public static ProblemHttpResult? Refuse(ClaimsPrincipal user, SubjectType subject, ProofRequest? proof)
    {
        if (!user.IsInRole(Roles.Banner))
        {
            return null;
        }

        if (subject != SubjectType.Visitor)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Outside the banner key's scope",
                detail: "A banner key records and reads consent for the visitor id it presents only, never for a customer.");
        }

        return proof is null
            ? null
            : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Outside the banner key's scope",
                detail: "A banner key cannot state 'proof': the request's own address and user agent are recorded.");
    }
}
