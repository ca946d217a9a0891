using System.Text.Json;
using FluentValidation;
using Privacy.Api.Platform.Problems;

namespace Privacy.Api.Platform.Validation;

public static class ValidationFilter
{
    /// <summary>Field names in errors are the JSON names the caller sent (camelCase).</summary>
    public static IServiceCollection AddRequestValidation(this IServiceCollection services)
    {
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.CamelCase.ConvertName(member.Name);
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.CamelCase.ConvertName(member.Name);
        // Validators hold no state: one instance each, not one per request.
        return services.AddValidatorsFromAssemblyContaining<Program>(ServiceLifetime.Singleton, includeInternalTypes: true);
    }

    /// <summary>
    /// Validates the <typeparamref name="T"/> argument with its FluentValidation validator and answers
    /// 400 with a per-field <c>errors</c> map when it is invalid; declares that 400 in OpenAPI.
    /// </summary>
    public static RouteHandlerBuilder WithValidation<T>(this RouteHandlerBuilder builder) where T : class =>
        builder
            .AddEndpointFilter(async (context, next) =>
            {
                var validator = context.HttpContext.RequestServices.GetRequiredService<IValidator<T>>();
                var argument = context.Arguments.OfType<T>().FirstOrDefault();
                if (argument is null)
                {
                    // A body of JSON null: the same answer as no body at all.
                    var required = ProblemTypes.BodyRequired;
                    return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["$"] = [required.Detail] })
                    {
                        Status = required.Status, Type = required.Uri, Title = required.Title, Detail = required.Detail,
                    });
                }

                var result = await validator.ValidateAsync(argument, context.HttpContext.RequestAborted);
                if (!result.IsValid)
                {
                    return TypedResults.ValidationProblem(result.ToDictionary(),
                        title: "One or more fields are invalid.");
                }

                return await next(context);
            })
            .ProducesValidationProblem();
}
