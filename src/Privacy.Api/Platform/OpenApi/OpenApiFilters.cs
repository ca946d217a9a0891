using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.XPath;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Platform.OpenApi;

/// <summary>Declares <see cref="OpenApiSetup.FeatureTags"/> in the document, in their order, with their descriptions.</summary>
internal sealed class FeatureTagsDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        document.Tags = new HashSet<OpenApiTag>(OpenApiSetup.FeatureTags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
    }
}

/// <summary>
/// Enums travel as snake_case strings (JsonStringEnumConverter with SnakeCaseLower, no numbers): the schema lists exactly
/// those strings, and its description says what each one means, from the XML comment of the enum member.
/// </summary>
internal sealed class EnumSchemaFilter : ISchemaFilter
{
    private static readonly Lazy<XPathNavigator?> Docs = new(() =>
    {
        var path = Path.ChangeExtension(typeof(EnumSchemaFilter).Assembly.Location, ".xml");
        return File.Exists(path) ? new XPathDocument(path).CreateNavigator() : null;
    });

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        var type = Nullable.GetUnderlyingType(context.Type) ?? context.Type;
        if (!type.IsEnum || schema is not OpenApiSchema concrete)
        {
            return;
        }

        concrete.Type = JsonSchemaType.String;
        concrete.Format = null;
        concrete.Enum = [.. Values(type).Select(v => (JsonNode)JsonValue.Create(v))];
        concrete.Description = string.IsNullOrWhiteSpace(concrete.Description) ? Meanings(type) : $"{concrete.Description.Trim()}\n\n{Meanings(type)}";
    }

    /// <summary>The values as the API reads and writes them.</summary>
    public static IReadOnlyList<string> Values(Type type) => [.. Enum.GetNames(type).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName)];

    /// <summary>
    /// One line per value with what it means. A member without a comment gets a bare line, which OpenApiDocumentTests
    /// refuses: every value needs its meaning.
    /// </summary>
    public static string Meanings(Type type) => string.Join("\n", Enum.GetNames(type).Select(n =>
        $"- `{JsonNamingPolicy.SnakeCaseLower.ConvertName(n)}`{(Summary(type, n) is { } meaning ? ": " + meaning : "")}"));

    /// <summary>The member's XML summary as one line of text (<c>&lt;c&gt;</c> becomes code).</summary>
    private static string? Summary(Type type, string member)
    {
        var node = Docs.Value?.SelectSingleNode($"/doc/members/member[@name='F:{type.FullName!.Replace('+', '.')}.{member}']/summary");
        if (node is null)
        {
            return null;
        }

        var text = string.Concat(node.SelectChildren(XPathNodeType.All).Cast<XPathNavigator>().Select(n =>
            n.NodeType == XPathNodeType.Element && n.LocalName == "c" ? $"`{n.Value}`" : n.Value));
        return string.Join(' ', text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }
}
