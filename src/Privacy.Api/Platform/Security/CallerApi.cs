using Microsoft.AspNetCore.Http.HttpResults;

namespace Privacy.Api.Platform.Security;

/// <summary>Lets any caller check its key: who the service takes it for. No database work.</summary>
public static class CallerApi
{
    public static IEndpointRouteBuilder MapCallerApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/whoami", WhoAmI)
            .WithTags("Platform")
            .WithName("WhoAmI")
            .WithSummary("Show the caller the key id, role and recipient its API key stands for")
            .WithDescription("A quick check that a key works. Answered from the request alone, without the database " +
                             "(the benchmark harness uses it as the service's cheapest authenticated endpoint).")
            .RequireAuthorization(Policies.AnyCaller);
        return routes;
    }

    public static Ok<Actor> WhoAmI(HttpContext http) => TypedResults.Ok(http.User.GetActor());
}
