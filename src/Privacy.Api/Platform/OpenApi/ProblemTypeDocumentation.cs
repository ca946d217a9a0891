using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Privacy.Api.Platform.Problems;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Platform.OpenApi;

/// <summary>
/// Documents <see cref="ProblemTypes"/>: the full list in the document's description and on the problem schemas' <c>type</c>, and
/// on each declared error answer the kinds its status can be.
/// </summary>
internal static class ProblemTypeDocumentation
{
    /// <summary>A Markdown section listing every kind: its URI, its status and what it means.</summary>
    public static string Catalogue() =>
        "**Problem documents.** Every error is an RFC 9457 problem document (`application/problem+json`, whatever `Accept` asks for) " +
        "with a plain-words `detail`, the `instance` route and a `traceId`. Its `type` says which kind of problem it is; " +
        "branch on `type`, never on `title` or `detail`:\n\n" +
        string.Join("\n", ProblemTypes.All.Select(t => $"- `{t.Uri}` ({t.Status}): {t.Detail}"));

    /// <summary>Kinds only a request with a body can get.</summary>
    private static readonly HashSet<ProblemType> BodyKinds =
        [ProblemTypes.BodyRequired, ProblemTypes.MalformedJson, ProblemTypes.DuplicateKey, ProblemTypes.PayloadTooLarge, ProblemTypes.UnsupportedMediaType];

    /// <summary>The kinds a problem of <paramref name="status"/> can be, for that answer's description; null for none.</summary>
    public static string? ForStatus(string status, bool takesBody)
    {
        var kinds = ProblemTypes.All
            .Where(t => t.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) == status && (takesBody || !BodyKinds.Contains(t)))
            .ToList();
        return kinds.Count == 0 ? null : $"`type`: {string.Join(" or ", kinds.Select(t => $"`{t.Uri}`"))}.";
    }
}

/// <summary>The <c>type</c> property of the problem schemas lists the kinds.</summary>
internal sealed class ProblemTypeSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (!typeof(ProblemDetails).IsAssignableFrom(context.Type) // HttpValidationProblemDetails too
            || schema is not OpenApiSchema concrete || concrete.Properties?.TryGetValue("type", out var type) != true
            || type is not OpenApiSchema property)
        {
            return;
        }

        property.Description = "The kind of problem, one of: " + string.Join(", ", ProblemTypes.All.Select(t => $"`{t.Uri}` ({t.Status})")) +
                               ". The document's description says what each one means.";
        property.Format = "uri";
    }
}
