using Microsoft.AspNetCore.Http.HttpResults;
using Privacy.Api.Platform.OpenApi;

namespace Privacy.Api.Platform.Security;

/// <summary>Lets any caller check its key: who the service takes it for. No database work.</summary>
public static class CallerApi
{
    public static IEndpointRouteBuilder MapCallerApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/whoami", WhoAmI)
            .WithTags("Caller")
            .WithName("WhoAmI")
            .WithSummary("Show the caller the key id, role and recipient its API key stands for")
            .WithDescription("A quick check that a key works. Answered from the request alone, without the database " +
                             "(the benchmark harness uses it as the service's cheapest authenticated endpoint).")
            .AnswersWithoutDatabase()
            .RequireAuthorization(Policies.AnyCaller);
        return routes;
    }

    public static Ok<Actor> WhoAmI(HttpContext http) => TypedResults.Ok(http.User.GetActor());
}
