using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Privacy.Api.Platform.Problems;

namespace Privacy.Api.Tests.Platform;

/// <summary>The body mutations: whole bodies malformed, mislabelled or too large; each field of the example given another value,
/// left out or repeated; unknown fields.</summary>
public sealed partial class HostileRequests
{
    private IEnumerable<BodyMutation> WholeBodyMutations(JsonNode example)
    {
        const string json = "application/json";
        var valid = example.ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(valid);
        var malformed = ProblemTypes.MalformedJson;
        yield return new("malformed JSON: cut in half", Encoding.UTF8.GetBytes(valid[..(valid.Length / 2)]), json, false, malformed);
        yield return new("malformed JSON: trailing garbage", Encoding.UTF8.GetBytes(valid + "}{"), json, false, malformed);
        yield return new("malformed JSON: single quotes", Encoding.UTF8.GetBytes(valid.Replace('"', '\'')), json, false, malformed);
        yield return new("malformed JSON: not JSON", "not json"u8.ToArray(), json, false, malformed);
        yield return new("empty body", [], json, false, ProblemTypes.BodyRequired);
        yield return new("body is null", "null"u8.ToArray(), json, false, ProblemTypes.BodyRequired);
        yield return new("body is an array", Encoding.UTF8.GetBytes($"[{valid}]"), json, false, malformed);
        yield return new("body is a number", "42"u8.ToArray(), json, false, malformed);
        yield return new("body is a string", "\"x\""u8.ToArray(), json, false, malformed);
        yield return new("body nested 200 deep", Encoding.UTF8.GetBytes(Nested(DeepNesting)), json, false, malformed);
        yield return new("body is invalid UTF-8", [0x7B, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], json, false, malformed);
        yield return new("body with a UTF-8 BOM and invalid bytes", [0xEF, 0xBB, 0xBF, 0x80, 0x81], json, false, malformed);
        yield return new("content type application/xml", "<request/>"u8.ToArray(), "application/xml", false, ProblemTypes.UnsupportedMediaType);
        yield return new("content type form", "a=1&b=2"u8.ToArray(), "application/x-www-form-urlencoded", false, ProblemTypes.UnsupportedMediaType);
        yield return new("UTF-16 body labelled so", Encoding.Unicode.GetBytes(valid), "application/json; charset=utf-16", false,
            ProblemTypes.UnsupportedMediaType);
        foreach (var (contentType, mayBeAccepted) in ContentTypes)
        {
            yield return new($"valid body, content type {contentType ?? "none"}", bytes, contentType, mayBeAccepted,
                mayBeAccepted ? null : ProblemTypes.UnsupportedMediaType);
        }

        yield return new($"body over the limit ({maxBodyBytes + 1} bytes)", OverLimit(valid), json, false, ProblemTypes.PayloadTooLarge);
        yield return new("body of 4 MiB", OverLimit(valid, 4 * 1024 * 1024), json, false, ProblemTypes.PayloadTooLarge);
    }

    /// <summary>
    /// Content-Type headers for the valid body, and whether the service may read it: JSON under any spelling of its media type and
    /// in UTF-8 only (RFC 8259); anything else, including a header that does not parse, is 415.
    /// </summary>
    private static readonly (string? ContentType, bool MayBeAccepted)[] ContentTypes =
    [
        (null, false), ("text/plain", false), ("application/xml", false), ("multipart/form-data; boundary=fuzz", false),
        ("application/json; charset=utf-16", false), ("application/json; charset=no-such-charset", false),
        ("application/json; charset=iso-8859-1", false), ("application/jsonx", false), ("garbage", false), (";;;", false),
        ("application/json; charset=utf-8", true), ("application/json; charset=\"UTF-8\"", true), ("APPLICATION/JSON", true),
        ("application/merge-patch+json", true),
    ];

    /// <summary>The valid body padded with whitespace past the limit: still valid JSON, only too large.</summary>
    private byte[] OverLimit(string valid, long size = 0)
    {
        var length = Math.Max(size, maxBodyBytes + 1);
        var bytes = new byte[length];
        Array.Fill(bytes, (byte)' ');
        Encoding.UTF8.GetBytes(valid).CopyTo(bytes, 0);
        return bytes;
    }

    private IEnumerable<BodyMutation> FieldMutations(JsonNode example, JsonElement schema)
    {
        const string json = "application/json";
        foreach (var slot in Slots(example, schema, "$", []))
        {
            foreach (var (mutation, raw, mayBeAccepted) in ValueMutations(slot))
            {
                yield return new($"{slot.Path}: {mutation}", Replace(example, slot.Steps, raw), json, mayBeAccepted);
            }

            if (slot.Steps[^1] is string property)
            {
                var without = example.DeepClone();
                var parent = Navigate(without, slot.Steps[..^1]).AsObject();
                parent.Remove(property);
                yield return new($"{slot.Path}: left out", Encoding.UTF8.GetBytes(without.ToJsonString()), json, !slot.Required);

                // The same key twice, with the same value: whoever reads the first or the last would agree, and it is still refused.
                var same = Navigate(example, slot.Steps[..^1]).AsObject()[property]?.ToJsonString() ?? "null";
                yield return new($"{slot.Path}: given twice", Repeat(example, slot.Steps[..^1], property, same), json, false,
                    ProblemTypes.DuplicateKey);
                // And with another value: which one counts would depend on who reads it.
                yield return new($"{slot.Path}: given twice, the second time otherwise", Repeat(example, slot.Steps[..^1], property, "\"fuzz\""),
                    json, false, ProblemTypes.DuplicateKey);
            }
        }

        foreach (var (objectPath, steps, isMap) in Objects(example, schema, "$", []))
        {
            var extra = example.DeepClone();
            var target = Navigate(extra, steps).AsObject();
            target["fuzzUnknownField"] = "x";
            // Unknown fields are refused (UnmappedMemberHandling.Disallow); a map takes any key.
            yield return new($"{objectPath}: unknown extra field", Encoding.UTF8.GetBytes(extra.ToJsonString()), json, isMap);

            // A map's first key again (the fields of other objects are repeated above, one by one).
            if (isMap && Navigate(example, steps).AsObject().FirstOrDefault() is { Key: { } first })
            {
                yield return new($"{objectPath}.{first}: given twice, the second time otherwise", Repeat(example, steps, first, "\"fuzz\""), json,
                    false, ProblemTypes.DuplicateKey);
            }
        }
    }

    /// <summary>The example with <paramref name="key"/> given once more, holding <paramref name="rawValue"/>, in the object at <paramref name="steps"/>.</summary>
    private static byte[] Repeat(JsonNode example, object[] steps, string key, string rawValue)
    {
        var copy = example.DeepClone();
        Navigate(copy, steps).AsObject()[Placeholder] = Placeholder;
        var marker = JsonSerializer.Serialize(Placeholder);
        return Encoding.UTF8.GetBytes(copy.ToJsonString().Replace($"{marker}:{marker}", $"{JsonSerializer.Serialize(key)}:{rawValue}", StringComparison.Ordinal));
    }

    /// <summary>Raw JSON values to put in a field (bytes, since some are not valid UTF-8), and whether the result may be valid.</summary>
    private IEnumerable<(string Mutation, byte[] Raw, bool MayBeAccepted)> ValueMutations(Slot slot)
    {
        static byte[] Raw(string json) => Encoding.UTF8.GetBytes(json);
        static byte[] Str(string value) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value));
        var type = slot.Schema.Type;

        // Wrong JSON types (null only where the field may not be null).
        if (type != "string")
        {
            yield return ("a string", Str("fuzz"), false);
        }

        if (type is not ("integer" or "number"))
        {
            yield return ("a number", Raw("12345"), false);
        }

        if (type != "boolean")
        {
            yield return ("a boolean", Raw("true"), false);
        }

        if (type != "array")
        {
            yield return ("an array", Raw("[\"fuzz\"]"), false);
        }

        if (type != "object")
        {
            yield return ("an object", Raw("{\"fuzz\":1}"), false);
        }

        if (!slot.Schema.Nullable && type is not null)
        {
            // A bare $ref cannot say it is nullable in OpenAPI 3.0: an optional object may take null.
            yield return ("null", Raw("null"), slot.Schema.Reference);
        }

        yield return ($"nested {DeepNesting} deep", Raw(Nested(DeepNesting)), false);

        switch (type)
        {
            case "string" when slot.Schema.Enum.Count > 0:
                yield return ("an unknown enum value", Str("no_such_value"), false);
                yield return ("an enum value as its number", Raw("0"), false);
                yield return ("an enum value in other case", Str(slot.Schema.Enum[0].ToUpperInvariant() + "X"), false);
                break;
            case "string" when slot.Schema.Format is "date-time" or "date":
                yield return ("an impossible date", Str("2026-02-30T25:61:00Z"), false);
                yield return ("not a date", Str("yesterday"), false);
                yield return ("a huge year", Str("99999-01-01T00:00:00Z"), false);
                break;
            case "string" when slot.Schema.Format is "uuid":
                yield return ("not a uuid", Str("not-a-uuid"), false);
                break;
            case "string":
                yield return ($"{HugeString} characters", Str(new string('x', HugeString)), false);
                yield return ($"{HugeString} characters of multi-byte text", Str(new string('å', HugeString)), false);
                yield return ("invalid UTF-8", [0x22, 0x61, 0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80, 0x22], false);
                yield return ("an escaped lone surrogate", Raw("\"\\uD800x\""), false);
                foreach (var injection in Injections)
                {
                    yield return ($"injection {JsonSerializer.Serialize(injection)}", Str(injection), true);
                }

                yield return ("an e-mail address", Str(PersonalData[4]), true);
                yield return ("an IP address", Str(PersonalData[5]), true);
                if (slot.Name.Contains("nationalidentity", StringComparison.OrdinalIgnoreCase)
                    || slot.Name.Contains("personnummer", StringComparison.OrdinalIgnoreCase))
                {
                    foreach (var number in InvalidNationalIdentityNumbers)
                    {
                        yield return ($"invalid national identity number {JsonSerializer.Serialize(number)}", Str(number), false);
                    }
                }

                break;
            case "integer":
                yield return ("too large for 64 bits", Raw("99999999999999999999999"), false);
                yield return ("a fraction", Raw("1.5"), false);
                yield return ("an exponent", Raw("1e400"), false);
                yield return ("a numeric string", Str("12"), true); // the web defaults read numbers from strings
                yield return ("int.MinValue", Raw(int.MinValue.ToString(CultureInfo.InvariantCulture)), true);
                yield return ("long.MaxValue", Raw(long.MaxValue.ToString(CultureInfo.InvariantCulture)), true);
                break;
            case "number":
                yield return ("an exponent", Raw("1e400"), false);
                yield return ("NaN as a string", Str("NaN"), true);
                break;
            case "array":
                yield return ($"{HugeArray} elements", Raw(HugeArrayOf(slot.Schema.Items?.Type)), false);
                yield return ("an array of nulls", Raw("[null,null]"), false);
                yield return ("an array of arrays", Raw("[[1],[2]]"), false);
                break;
        }
    }

    private static string HugeArrayOf(string? itemType)
    {
        var element = itemType switch
        {
            "integer" or "number" => "1",
            "boolean" => "true",
            "object" => "{}",
            _ => "\"x\"",
        };
        return "[" + string.Join(',', Enumerable.Repeat(element, HugeArray)) + "]";
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    /// <summary>The example with the value at <paramref name="steps"/> replaced by raw bytes.</summary>
    private static byte[] Replace(JsonNode example, object[] steps, byte[] raw)
    {
        var copy = example.DeepClone();
        var parent = Navigate(copy, steps[..^1]);
        switch (steps[^1])
        {
            case string property:
                parent.AsObject()[property] = Placeholder;
                break;
            case int index:
                parent.AsArray()[index] = Placeholder;
                break;
        }

        var text = Encoding.UTF8.GetBytes(copy.ToJsonString());
        var marker = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Placeholder));
        var at = text.AsSpan().IndexOf(marker);
        return [.. text.AsSpan(0, at), .. raw, .. text.AsSpan(at + marker.Length)];
    }

    private static JsonNode Navigate(JsonNode node, object[] steps)
    {
        foreach (var step in steps)
        {
            node = step is string property ? node.AsObject()[property]! : node.AsArray()[(int)step]!;
        }

        return node;
    }

    /// <summary>Every field of the example (and of the first element of each array), with its schema.</summary>
    private IEnumerable<Slot> Slots(JsonNode? node, JsonElement schema, string path, object[] steps)
    {
        var info = Describe(schema);
        if (node is JsonObject obj && info.Properties is not null)
        {
            foreach (var (property, propertySchema) in info.Properties)
            {
                // Only the fields the example has: a mutation changes one thing in an otherwise valid request.
                var childPath = $"{path}.{property}";
                var child = obj[property];
                var described = Describe(propertySchema);
                if (!obj.ContainsKey(property))
                {
                    continue;
                }

                yield return new Slot(childPath, property, [.. steps, property], described, info.Required.Contains(property));
                foreach (var nested in Slots(child, propertySchema, childPath, [.. steps, property]))
                {
                    yield return nested;
                }
            }
        }
        else if (node is JsonArray array && array.Count > 0 && info.ItemsElement is { } items)
        {
            var described = Describe(items);
            var childPath = $"{path}[0]";
            yield return new Slot(childPath, Last(path), [.. steps, 0], described, true);
            foreach (var nested in Slots(array[0], items, childPath, [.. steps, 0]))
            {
                yield return nested;
            }
        }
    }

    private static string Last(string path) => path[(path.LastIndexOf('.') + 1)..];

    /// <summary>Every object of the example, and whether its schema is a map (no fixed properties).</summary>
    private IEnumerable<(string Path, object[] Steps, bool IsMap)> Objects(JsonNode? node, JsonElement schema, string path, object[] steps)
    {
        var info = Describe(schema);
        if (node is JsonObject obj)
        {
            yield return (path, steps, info.Properties is null);
            foreach (var (name, child) in obj)
            {
                var childSchema = info.Properties?.FirstOrDefault(p => p.Name == name).Schema ?? default;
                foreach (var nested in Objects(child, childSchema, $"{path}.{name}", [.. steps, name]))
                {
                    yield return nested;
                }
            }
        }
        else if (node is JsonArray array && array.Count > 0)
        {
            foreach (var nested in Objects(array[0], info.ItemsElement ?? default, $"{path}[0]", [.. steps, 0]))
            {
                yield return nested;
            }
        }
    }

    private sealed record Slot(string Path, string Name, object[] Steps, SchemaInfo Schema, bool Required);
}
