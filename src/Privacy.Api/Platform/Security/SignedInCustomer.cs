using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Privacy.Api.Consent;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Platform.Security;

/// <summary>
/// Whom a call acts for (OWASP API1, object-level authorization): the one place that says it for the website. The website's
/// server (a frontend key) acts for the customer signed in on its pages, whose customer number it sends in the
/// <c>X-Signed-In-Customer</c> header; ops act for everyone. An endpoint the website reaches with a person's data declares
/// <see cref="ActsForSignedInCustomer(RouteHandlerBuilder)"/>, and its handler confines what it reads with
/// <see cref="ScopeOf(HttpContext)"/>.
/// </summary>
public static class SignedInCustomer
{
    public const string HeaderName = "X-Signed-In-Customer";

    internal const string ParameterDescription =
        "With the website's key (role frontend): required, the customer number of the customer signed in on the website. The call " +
        "acts for that customer only: a request is readable when the website submitted it for that customer, and any other answers " +
        "404 as if it did not exist. Ops leave it out (they act for everyone).";

    /// <summary>
    /// Requires the header from a frontend caller (400 naming it when missing or not a customer number) before anything else
    /// runs, and documents it in OpenAPI.
    /// </summary>
    public static RouteHandlerBuilder ActsForSignedInCustomer(this RouteHandlerBuilder builder) =>
        builder
            .WithMetadata(new SignedInCustomerMetadata())
            .AddEndpointFilter(async (context, next) => Read(context.HttpContext, out var refused) ? await next(context) : refused)
            .ProducesValidationProblem();

    /// <summary>
    /// As <see cref="ActsForSignedInCustomer(RouteHandlerBuilder)"/>, and a frontend caller's body must name the signed-in
    /// customer: another customer number in <paramref name="field"/> is refused with 422, so the website cannot act for
    /// someone else by mistake. Add it before <c>.WithIdempotency()</c>, so a replay is never answered for another customer.
    /// </summary>
    public static RouteHandlerBuilder ActsForSignedInCustomer<TBody>(this RouteHandlerBuilder builder, Func<TBody, string?> customerOf, string field)
        where TBody : class =>
        builder
            .WithMetadata(new SignedInCustomerMetadata())
            .AddEndpointFilter(async (context, next) =>
            {
                if (!Read(context.HttpContext, out var refused))
                {
                    return refused;
                }

                var signedIn = ScopeOf(context.HttpContext).Customer;
                if (signedIn is not null && context.Arguments.OfType<TBody>().FirstOrDefault() is { } body && customerOf(body) is { } named
                    && named != signedIn)
                {
                    // The numbers themselves are left out: a customer number is personal data.
                    return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Not the signed-in customer",
                        detail: $"'{field}' must be the customer signed in on the website (the {HeaderName} header).",
                        extensions: new Dictionary<string, object?>
                        {
                            ["errors"] = new Dictionary<string, string[]> { [field] = [$"Must be the customer in the {HeaderName} header."] },
                        });
                }

                return await next(context);
            })
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    /// <summary>
    /// Whom the current call acts for, as read by the endpoint's <c>ActsForSignedInCustomer</c> filter. Throws when the endpoint
    /// does not declare it: a handler never falls back to reading everything.
    /// </summary>
    public static CustomerScope ScopeOf(HttpContext http) =>
        http.Features.Get<CustomerScope>()
        ?? throw new InvalidOperationException($"{http.GetEndpoint()?.DisplayName} does not declare .ActsForSignedInCustomer().");

    /// <summary>Reads whom the caller acts for into the request's features; false, with the 400 to answer, when the header is wrong.</summary>
    private static bool Read(HttpContext http, out ValidationProblem? refused)
    {
        refused = null;
        var actor = http.User.GetActor();
        CustomerScope scope;
        if (actor.Role == Roles.Ops)
        {
            scope = CustomerScope.Everyone;
        }
        else if (actor.Role == Roles.Frontend)
        {
            var header = http.Request.Headers[HeaderName];
            var options = http.RequestServices.GetRequiredService<IOptions<ConsentOptions>>().Value;
            if (header.Count != 1 || !ConsentRules.IsValidSubjectId(options, SubjectType.Customer, header[0]))
            {
                // The value is not repeated: it may be anything, personal data included.
                refused = TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    [HeaderName] = [$"The website's key acts for the signed-in customer: send their customer number in the {HeaderName} header."],
                }, title: $"The {HeaderName} header is missing or not a customer number.");
                return false;
            }

            scope = new CustomerScope(header[0], http.RequestServices.GetRequiredService<ApiKeys.ApiKeyStore>().WebsiteKeyIds);
        }
        else
        {
            scope = CustomerScope.Nobody; // no other role reaches these endpoints (their policies); if one did, it would see nothing
        }

        http.Features.Set(scope);
        return true;
    }
}

/// <summary>
/// Whom a call acts for. <see cref="Everyone"/> (ops), or one customer signed in on the website: then only what was submitted
/// through the website (by one of <see cref="WebsiteKeys"/>) for <see cref="Customer"/> is theirs.
/// </summary>
/// <param name="Customer">The signed-in customer's number; null for <see cref="Everyone"/> and <see cref="Nobody"/>.</param>
/// <param name="WebsiteKeys">Ids of the website's (frontend) keys: what they submitted came through the website.</param>
public sealed record CustomerScope(string? Customer, string[] WebsiteKeys)
{
    /// <summary>Ops: every subject.</summary>
    public static readonly CustomerScope Everyone = new(null, []) { IsEveryone = true };

    /// <summary>No subject at all.</summary>
    public static readonly CustomerScope Nobody = new(null, []);

    public bool IsEveryone { get; private init; }
}

/// <summary>Marks an endpoint that acts for the signed-in customer when the website calls it (<c>X-Signed-In-Customer</c>).</summary>
public sealed class SignedInCustomerMetadata;

/// <summary>Documents the <c>X-Signed-In-Customer</c> header on the endpoints that declare it.</summary>
internal sealed class SignedInCustomerOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<SignedInCustomerMetadata>().Any())
        {
            return;
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = SignedInCustomer.HeaderName,
            In = ParameterLocation.Header,
            Required = false,
            Description = SignedInCustomer.ParameterDescription,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 64 },
        });
    }
}
