using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Privacy.Api.Tests.Platform;

/// <summary>Reading the OpenAPI document: schemas (through <c>$ref</c>, <c>allOf</c>, <c>oneOf</c>) and the documented examples.</summary>
public sealed partial class HostileRequests
{
    private static Dictionary<string, string> ExampleValues(JsonElement document)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.String)
                    {
                        values.TryAdd(property.Name, property.Value.GetString()!);
                    }

                    Walk(property.Value);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item);
                }
            }
        }

        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object))
            {
                if (operation.Value.TryGetProperty("requestBody", out var body)
                    && body.GetProperty("content").TryGetProperty("application/json", out var json)
                    && json.TryGetProperty("example", out var example))
                {
                    Walk(example);
                }
            }
        }

        return values;
    }

    private JsonElement Resolve(JsonElement schema)
    {
        for (var i = 0; i < 20 && schema.ValueKind == JsonValueKind.Object; i++)
        {
            if (schema.TryGetProperty("$ref", out var reference))
            {
                schema = _schemas.GetProperty(reference.GetString()!.Split('/')[^1]);
            }
            else if (schema.TryGetProperty("allOf", out var all) && all.GetArrayLength() == 1)
            {
                schema = all[0];
            }
            else if ((schema.TryGetProperty("oneOf", out var any) || schema.TryGetProperty("anyOf", out any))
                     && any.EnumerateArray().FirstOrDefault(x => !IsNullSchema(x)) is { ValueKind: JsonValueKind.Object } first)
            {
                schema = first;
            }
            else
            {
                break;
            }
        }

        return schema;
    }

    private static bool IsNullSchema(JsonElement schema) =>
        schema.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null";

    private SchemaInfo Describe(JsonElement raw)
    {
        if (raw.ValueKind != JsonValueKind.Object)
        {
            return new SchemaInfo(null, null, false, [], null, null, [], false);
        }

        var nullable = raw.TryGetProperty("nullable", out var n) && n.GetBoolean()
                       || (raw.TryGetProperty("oneOf", out var one) || raw.TryGetProperty("anyOf", out one))
                       && one.EnumerateArray().Any(IsNullSchema);
        var schema = Resolve(raw);
        nullable |= schema.TryGetProperty("nullable", out var n2) && n2.GetBoolean();
        string? type = null;
        if (schema.TryGetProperty("type", out var t))
        {
            if (t.ValueKind == JsonValueKind.Array)
            {
                var types = t.EnumerateArray().Select(x => x.GetString()!).ToList();
                nullable |= types.Contains("null");
                type = types.FirstOrDefault(x => x != "null");
            }
            else
            {
                type = t.GetString();
            }
        }

        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        List<string> values = schema.TryGetProperty("enum", out var e)
            ? [.. e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)]
            : [];
        type ??= values.Count > 0 ? "string" : schema.TryGetProperty("properties", out _) ? "object" : null;
        var properties = schema.TryGetProperty("properties", out var props)
            ? props.EnumerateObject().Select(x => (x.Name, x.Value)).ToList()
            : null;
        List<string> required = schema.TryGetProperty("required", out var req) ? [.. req.EnumerateArray().Select(x => x.GetString()!)] : [];
        JsonElement? items = schema.TryGetProperty("items", out var i) ? i : null;
        return new SchemaInfo(type, format, nullable, values, properties, items, required, raw.TryGetProperty("$ref", out _))
        {
            Items = items is { } it ? Describe(it) : null,
        };
    }

    private sealed record SchemaInfo(
        string? Type, string? Format, bool Nullable, List<string> Enum, List<(string Name, JsonElement Schema)>? Properties,
        JsonElement? ItemsElement, List<string> Required, bool Reference)
    {
        public SchemaInfo? Items { get; init; }
    }
}
