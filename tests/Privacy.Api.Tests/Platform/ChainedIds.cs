using System.Text.Json;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Ids and keys taken from the service's successful answers, so that a later request's path names an entry that exists and its
/// mutations get past 404 into the handler's own checks (state, scope, rules). A value is filed under the collection its answer
/// came from (the last fixed segment of the route: <c>holds</c> for <c>POST /retention/holds</c>) and its field's name; a
/// nested object's id also under its parent's name (<c>followUp.id</c> → <c>followUpId</c>).
/// </summary>
public sealed class ChainedIds
{
    private readonly Dictionary<(string Collection, string Field), string> _latest = [];
    private readonly Dictionary<string, string> _byField = new(StringComparer.Ordinal);

    /// <summary>How many (collection, field) values are known.</summary>
    public int Count => _latest.Count;

    /// <summary>Takes the id-like values of a 2xx JSON answer to an operation on <paramref name="template"/>.</summary>
    public void Capture(string template, string json)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(json).RootElement;
        }
        catch (JsonException)
        {
            return; // CSV, HTML, JavaScript: nothing to chain
        }

        var collection = Collection(template);
        // A page of entries ({"items": [...]}) or a bare list: each entry is one of the collection's.
        var entries = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList()
            : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array
                ? [root, .. items.EnumerateArray()]
                : [root];
        foreach (var entry in entries.Where(e => e.ValueKind == JsonValueKind.Object))
        {
            foreach (var property in entry.EnumerateObject())
            {
                if (Scalar(property.Value) is { } value)
                {
                    _latest[(collection, property.Name)] = value;
                    _byField[property.Name] = value;
                }
                else
                {
                    CaptureNested(property.Name, property.Value, depth: 0);
                }
            }
        }
    }

    /// <summary>The value for path parameter <paramref name="name"/> of <paramref name="template"/>, or null when none was seen.</summary>
    public string? For(string template, string name)
    {
        var collection = Collection(template[..template.IndexOf("{" + name + "}", StringComparison.Ordinal)]);
        // {taskId} under tasks is a task's id; {key} under categories is a category's key, never its id.
        foreach (var field in name == "id" ? ["id"] : name.EndsWith("Id", StringComparison.Ordinal) ? [name, "id"] : new[] { name })
        {
            if (_latest.TryGetValue((collection, field), out var value))
            {
                return value;
            }
        }

        // "/partner/follow-ups/{id}": the id of a follow-up seen anywhere (followUpId, or followUp.id in a feed entry).
        var alias = name == "id" ? Singular(collection) + "Id" : name;
        return _byField.GetValueOrDefault(alias);
    }

    /// <summary>What is known, for the test's output: <c>collection.field</c> names.</summary>
    public string Describe() => string.Join(", ", _latest.Keys.Where(k => k.Field == "id" || k.Field.EndsWith("Id", StringComparison.Ordinal))
        .Select(k => $"{k.Collection}.{k.Field}").Order(StringComparer.Ordinal));

    private void CaptureNested(string parent, JsonElement element, int depth)
    {
        if (depth > 3)
        {
            return;
        }

        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray().Take(20))
            {
                CaptureNested(Singular(parent), item, depth + 1);
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (Scalar(property.Value) is { } value)
                {
                    var name = property.Name == "id" ? parent + "Id" : property.Name;
                    _byField[name] = value;
                }
                else
                {
                    CaptureNested(property.Name, property.Value, depth + 1);
                }
            }
        }
    }

    private static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    /// <summary>The last fixed segment of a route template: <c>/requests/{id}/tasks</c> → <c>tasks</c>.</summary>
    private static string Collection(string template) =>
        template.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(s => !s.StartsWith('{')) ?? "";

    /// <summary><c>follow-ups</c> → <c>followUp</c>, <c>tasks</c> → <c>task</c>.</summary>
    private static string Singular(string name)
    {
        var parts = name.Split('-', StringSplitOptions.RemoveEmptyEntries);
        var camel = string.Concat(parts.Select((p, i) => i == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
        return camel.EndsWith('s') ? camel[..^1] : camel;
    }
}
