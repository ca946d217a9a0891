using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Privacy.Api.Platform.Problems;

/// <summary>A request the framework could not bind to its handler, in the caller's terms.</summary>
/// <param name="Field">The parameter's name, or <c>$</c> for the body; null when no parameter is to blame.</param>
internal sealed record BindingProblem(ProblemType Kind, string? Field, string Detail);

/// <summary>
/// Minimal APIs report what they could not bind as a <see cref="BadHttpRequestException"/> (RouteHandlerOptions.ThrowOnBadRequest)
/// whose message is written for the developer: it names the .NET type and repeats the value sent (<c>Failed to bind parameter
/// "Nullable&lt;DateTimeOffset&gt; at" from "notadate".</c>), and a missing body is "Implicit body inferred for parameter…". Neither
/// belongs in an answer. The message gives the parameter's name (its format is the framework's, RequestDelegateFactory's Log); the
/// handler's signature gives its type; the caller reads what the parameter must be, never the value it sent.
/// </summary>
internal static partial class BindingProblems
{
    public static BindingProblem Describe(BadHttpRequestException bad, Endpoint? endpoint)
    {
        var message = bad.Message;
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return new(ProblemTypes.UnsupportedMediaType, null, ProblemTypes.UnsupportedMediaType.Detail);
        }

        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(ProblemTypes.PayloadTooLarge, null, ProblemTypes.PayloadTooLarge.Detail);
        }

        if (bad.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            return new(ProblemTypes.RequestTimeout, null, ProblemTypes.RequestTimeout.Detail);
        }

        if (ImplicitBodyMissing().IsMatch(message))
        {
            return new(ProblemTypes.BodyRequired, "$", ProblemTypes.BodyRequired.Detail);
        }

        if (RequiredNotProvided().Match(message) is { Success: true } required)
        {
            var name = required.Groups["name"].Value;
            return required.Groups["source"].Value == "body"
                ? new(ProblemTypes.BodyRequired, "$", ProblemTypes.BodyRequired.Detail)
                : new(ProblemTypes.Validation, name, $"'{name}' is required: it must be {Form(ParameterType(endpoint, name))}.");
        }

        if (BindFailed().Match(message) is { Success: true } failed)
        {
            var name = failed.Groups["name"].Value;
            return new(ProblemTypes.Validation, name, $"'{name}' must be {Form(ParameterType(endpoint, name))}.");
        }

        if (BodyUnreadable().IsMatch(message))
        {
            return new(ProblemTypes.MalformedJson, "$", ProblemTypes.MalformedJson.Detail);
        }

        // Kestrel's own refusals while the body is read (e.g. it ended before its Content-Length): nothing to name.
        return new(ProblemTypes.BadRequest, null, ProblemTypes.BadRequest.Detail);
    }

    /// <summary>The declared type of the handler's parameter <paramref name="name"/>, without <see cref="Nullable{T}"/>.</summary>
    private static Type? ParameterType(Endpoint? endpoint, string name)
    {
        var parameter = endpoint?.Metadata.GetMetadata<MethodInfo>()?.GetParameters().FirstOrDefault(p => p.Name == name);
        return parameter is null ? null : Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
    }

    /// <summary>What a value of <paramref name="type"/> looks like, in words and with an example.</summary>
    private static string Form(Type? type) => type switch
    {
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "an instant such as 2026-11-25T10:00:00Z",
        _ when type == typeof(DateOnly) => "a date such as 2026-11-25",
        _ when type == typeof(TimeSpan) => "a duration such as 01:30:00",
        _ when type == typeof(Guid) => "a UUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) => $"a whole number from {int.MinValue} to {int.MaxValue}",
        _ when type == typeof(long) => $"a whole number from {long.MinValue} to {long.MaxValue}",
        _ when type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong) => "a whole number",
        _ when type == typeof(decimal) || type == typeof(double) || type == typeof(float) => "a number such as 1.5",
        { IsEnum: true } => "one of: " + string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName)),
        _ => "a value of the form the OpenAPI document gives",
    };

    [GeneratedRegex("""^Implicit body inferred for parameter """, RegexOptions.CultureInvariant)]
    private static partial Regex ImplicitBodyMissing();

    [GeneratedRegex("""^Required parameter "[^"]* (?<name>[^ "]+)" was not provided from (?<source>[^.]+)\.$""", RegexOptions.CultureInvariant)]
    private static partial Regex RequiredNotProvided();

    [GeneratedRegex("""^Failed to bind parameter "[^"]* (?<name>[^ "]+)" from """, RegexOptions.CultureInvariant)]
    private static partial Regex BindFailed();

    [GeneratedRegex("""^Failed to read parameter "[^"]*" from the request body as JSON\.$""", RegexOptions.CultureInvariant)]
    private static partial Regex BodyUnreadable();
}
