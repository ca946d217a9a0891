using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Privacy.Api.Tests.Platform;

/// <summary>One generated request and what the service may answer to it.</summary>
/// <param name="Operation">The OpenAPI operation, e.g. <c>POST /registry/categories</c>.</param>
/// <param name="Mutation">What was done to the valid request, e.g. <c>$.name: 100001 characters</c>.</param>
/// <param name="MayBeAccepted">True when the mutation can still be a valid request (an optional field left out, an injection
/// string in a free-text field): then 2xx is fine. Otherwise only a 4xx problem document is.</param>
public sealed record HostileRequest(
    string Operation, string Method, string Url, byte[]? Body, string? ContentType, IReadOnlyDictionary<string, string> Headers,
    string Mutation, bool MayBeAccepted)
{
    public override string ToString() => $"{Operation} [{Mutation}]";
}

/// <summary>
/// Derives hostile requests from the service's OpenAPI document: for every operation a valid request (the documented
/// example body, sample parameter values) and then mutations of it — each field of the wrong JSON type, left out, or
/// holding huge, deeply nested, invalid UTF-8, injection or personal-data values; whole bodies that are malformed, of the
/// wrong content type or over the size limit; path, query and header parameters of the wrong type, huge or injected.
/// Deterministic: the same document always gives the same requests in the same order.
/// </summary>
public sealed class HostileRequests(JsonElement document, long maxBodyBytes)
{
    /// <summary>Values that are personal data: no error message may repeat them.</summary>
    public static readonly string[] PersonalData =
        ["19811218-9877", "198112189877", "20230230-0000", "8112189877", "fuzz.subject@example.com", "203.0.113.77"];

    private static readonly string[] InvalidNationalIdentityNumbers =
        ["19811218-9877", "198112189877", "8112189877", "20230230-0000", "19811318-9876", "1981121898760", "abcdefgh-ijkl", ""];

    private static readonly string[] Injections =
    [
        "' OR '1'='1",
        "'; DROP TABLE privacy.audit_entries; --",
        "x\"); DELETE FROM privacy.consent_events; --",
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "{{7*7}}${7*7}",
        "../../../../etc/passwd",
        "x\u0000y",
    ];

    private const string Placeholder = "\uE000fuzz-raw\uE000";
    private const int HugeString = 100_001;
    private const int HugeArray = 100_000;
    private const int DeepNesting = 200;

    private readonly JsonElement _schemas = document.TryGetProperty("components", out var c) && c.TryGetProperty("schemas", out var s) ? s : default;

    /// <summary>The first string each field name holds in any documented example: a path parameter of that name takes it,
    /// so a request reaches an entry that exists (e.g. <c>{purpose}</c> = the purpose of the link example).</summary>
    private readonly Dictionary<string, string> _exampleValues = ExampleValues(document);

    /// <summary>Every operation of the document: (method, path template, operation).</summary>
    public IEnumerable<(string Method, string Path, JsonElement Operation)> Operations() =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject()
                .Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete")
                .Select(o => (o.Name.ToUpperInvariant(), p.Name, o.Value)));

    public IEnumerable<HostileRequest> For(string method, string path, JsonElement operation)
    {
        var name = $"{method} {path}";
        var parameters = operation.TryGetProperty("parameters", out var p) ? p.EnumerateArray().Select(ReadParameter).ToList() : [];
        JsonNode? example = null;
        JsonElement bodySchema = default;
        if (operation.TryGetProperty("requestBody", out var requestBody)
            && requestBody.GetProperty("content").TryGetProperty("application/json", out var json))
        {
            example = json.TryGetProperty("example", out var e) ? JsonNode.Parse(e.GetRawText()) : new JsonObject();
            bodySchema = json.TryGetProperty("schema", out var schema) ? Resolve(schema) : default;
        }

        // A path parameter the body repeats (PUT /registry/categories/{key} with its key) takes the example's value.
        var baseValues = parameters.ToDictionary(x => x, x => x.In == "path" && example?[x.Name] is JsonValue v
            && v.TryGetValue<string>(out var same) ? same : x.Sample);
        HostileRequest Make(string mutation, bool mayBeAccepted, IReadOnlyDictionary<Parameter, string?> values, byte[]? body,
            string? contentType = "application/json") =>
            new(name, method, Url(path, values), body, body is null ? null : contentType, Headers(values), mutation, mayBeAccepted);

        var validBody = example is null ? null : Encoding.UTF8.GetBytes(example.ToJsonString());

        // The valid request itself: it may succeed, and must not fail with 5xx.
        yield return Make("valid request", true, baseValues, validBody);

        foreach (var parameter in parameters)
        {
            foreach (var (value, mutation, mayBeAccepted) in ParameterMutations(parameter))
            {
                var values = new Dictionary<Parameter, string?>(baseValues) { [parameter] = value };
                yield return Make($"{parameter.In} {parameter.Name}: {mutation}", mayBeAccepted, values, validBody);
            }
        }

        // An unknown query parameter is ignored by ASP.NET Core: harmless, not hostile.
        yield return new HostileRequest(name, method, Url(path, baseValues) + (path.Contains('?') ? "&" : "?") + "fuzzExtra=%27%3B--",
            validBody, validBody is null ? null : "application/json", Headers(baseValues), "unknown query parameter", true);

        if (example is null)
        {
            yield break;
        }

        foreach (var (mutation, body, contentType) in WholeBodyMutations(example))
        {
            yield return Make(mutation, false, baseValues, body, contentType);
        }

        foreach (var (mutation, body, mayBeAccepted) in FieldMutations(example, bodySchema))
        {
            yield return Make(mutation, mayBeAccepted, baseValues, body);
        }
    }

    private IEnumerable<(string Mutation, byte[]? Body, string? ContentType)> WholeBodyMutations(JsonNode example)
    {
        var valid = example.ToJsonString();
        yield return ("malformed JSON: cut in half", Encoding.UTF8.GetBytes(valid[..(valid.Length / 2)]), "application/json");
        yield return ("malformed JSON: trailing garbage", Encoding.UTF8.GetBytes(valid + "}{"), "application/json");
        yield return ("malformed JSON: single quotes", Encoding.UTF8.GetBytes(valid.Replace('"', '\'')), "application/json");
        yield return ("malformed JSON: not JSON", "not json"u8.ToArray(), "application/json");
        yield return ("empty body", [], "application/json");
        yield return ("body is null", "null"u8.ToArray(), "application/json");
        yield return ("body is an array", Encoding.UTF8.GetBytes($"[{valid}]"), "application/json");
        yield return ("body is a number", "42"u8.ToArray(), "application/json");
        yield return ("body is a string", "\"x\""u8.ToArray(), "application/json");
        yield return ("body nested 200 deep", Encoding.UTF8.GetBytes(Nested(DeepNesting)), "application/json");
        yield return ("body is invalid UTF-8", [0x7B, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], "application/json");
        yield return ("body with a UTF-8 BOM and invalid bytes", [0xEF, 0xBB, 0xBF, 0x80, 0x81], "application/json");
        yield return ("no content type", Encoding.UTF8.GetBytes(valid), null);
        yield return ("content type text/plain", Encoding.UTF8.GetBytes(valid), "text/plain");
        yield return ("content type application/xml", "<request/>"u8.ToArray(), "application/xml");
        yield return ("content type form", "a=1&b=2"u8.ToArray(), "application/x-www-form-urlencoded");
        yield return ($"body over the limit ({maxBodyBytes + 1} bytes)", OverLimit(valid), "application/json");
        yield return ("body of 4 MiB", OverLimit(valid, 4 * 1024 * 1024), "application/json");
    }

    /// <summary>The valid body padded with whitespace past the limit: still valid JSON, only too large.</summary>
    private byte[] OverLimit(string valid, long size = 0)
    {
        var length = Math.Max(size, maxBodyBytes + 1);
        var bytes = new byte[length];
        Array.Fill(bytes, (byte)' ');
        Encoding.UTF8.GetBytes(valid).CopyTo(bytes, 0);
        return bytes;
    }

    private IEnumerable<(string Mutation, byte[] Body, bool MayBeAccepted)> FieldMutations(JsonNode example, JsonElement schema)
    {
        foreach (var slot in Slots(example, schema, "$", []))
        {
            foreach (var (mutation, raw, mayBeAccepted) in ValueMutations(slot))
            {
                yield return ($"{slot.Path}: {mutation}", Replace(example, slot.Steps, raw), mayBeAccepted);
            }

            if (slot.Steps[^1] is string property)
            {
                var without = example.DeepClone();
                var parent = Navigate(without, slot.Steps[..^1]).AsObject();
                parent.Remove(property);
                yield return ($"{slot.Path}: left out", Encoding.UTF8.GetBytes(without.ToJsonString()), !slot.Required);
            }
        }

        foreach (var (objectPath, steps, isMap) in Objects(example, schema, "$", []))
        {
            var extra = example.DeepClone();
            var target = Navigate(extra, steps).AsObject();
            target["fuzzUnknownField"] = "x";
            // Unknown fields are refused (UnmappedMemberHandling.Disallow); a map takes any key.
            yield return ($"{objectPath}: unknown extra field", Encoding.UTF8.GetBytes(extra.ToJsonString()), isMap);
        }
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

    private IEnumerable<(string? Value, string Mutation, bool MayBeAccepted)> ParameterMutations(Parameter parameter)
    {
        var schema = parameter.Schema;
        if (parameter.In == "header")
        {
            yield return (new string('k', 300), "300 characters", false);
            yield return ("has spaces and ; DROP", "not visible ASCII", false);
            yield return (Injections[0], "injection", true);
            yield break;
        }

        if (!parameter.Required)
        {
            yield return (null, "left out", true);
        }
        else if (parameter.In == "query")
        {
            yield return (null, "left out", false);
        }

        // An empty path segment is another route (GET /registry/categories/ is the list): not hostile there.
        yield return ("", "empty", parameter.In == "path" || !parameter.Required);
        switch (schema.Type)
        {
            case "integer":
                yield return ("abc", "not a number", false);
                yield return ("99999999999999999999999", "too large", false);
                yield return ("1.5", "a fraction", false);
                yield return ("-1", "negative", true);
                yield return ("0", "zero", true);
                yield return (long.MaxValue.ToString(CultureInfo.InvariantCulture), "long.MaxValue", true);
                yield return ("1;DROP TABLE privacy.audit_entries", "injection", false);
                break;
            case "boolean":
                yield return ("perhaps", "not a boolean", false);
                yield return ("1", "a number", false);
                break;
            case "string" when schema.Enum.Count > 0:
                yield return ("no_such_value", "an unknown enum value", false);
                yield return ("0", "an enum value as its number", false);
                yield return (Injections[1], "injection", false);
                break;
            case "string" when schema.Format is "date-time" or "date":
                yield return ("2026-02-30T25:61:00Z", "an impossible date", false);
                yield return ("yesterday", "not a date", false);
                yield return ("99999-01-01", "a huge year", false);
                break;
            case "string" when schema.Format is "uuid":
                yield return ("not-a-uuid", "not a uuid", false);
                break;
            default:
                yield return (new string('x', 10_000), "10000 characters", true);
                // A NUL in the path never reaches the service: Kestrel refuses the request line (the test server throws).
                foreach (var injection in Injections.Where(i => parameter.In != "path" || !i.Contains('\0', StringComparison.Ordinal)))
                {
                    yield return (injection, $"injection {JsonSerializer.Serialize(injection)}", true);
                }

                yield return (PersonalData[4], "an e-mail address", true);
                yield return (PersonalData[5], "an IP address", true);
                yield return (PersonalData[0], "a national identity number", true);
                yield return ("%ZZ%", "a broken percent escape", true);
                yield return ("\u00e5\u00e4\u00f6\U0001F600", "non-ASCII text", true);
                break;
        }
    }

    private static string Url(string template, IReadOnlyDictionary<Parameter, string?> values)
    {
        var path = template;
        var query = new List<string>();
        foreach (var (parameter, value) in values)
        {
            switch (parameter.In)
            {
                case "path":
                    path = path.Replace("{" + parameter.Name + "}", Uri.EscapeDataString(value ?? ""), StringComparison.Ordinal);
                    break;
                case "query" when value is not null:
                    query.Add($"{Uri.EscapeDataString(parameter.Name)}={(value == "%ZZ%" ? value : Uri.EscapeDataString(value))}");
                    break;
            }
        }

        return query.Count == 0 ? path : $"{path}?{string.Join('&', query)}";
    }

    private static Dictionary<string, string> Headers(IReadOnlyDictionary<Parameter, string?> values) =>
        values.Where(v => v.Key.In == "header" && v.Value is not null).ToDictionary(v => v.Key.Name, v => v.Value!);

    private Parameter ReadParameter(JsonElement element)
    {
        var name = element.GetProperty("name").GetString()!;
        var location = element.GetProperty("in").GetString()!;
        var required = element.TryGetProperty("required", out var r) && r.GetBoolean();
        var schema = Describe(element.TryGetProperty("schema", out var s) ? s : default);
        var sample = location == "header" ? null
            : location == "path" && schema.Type == "string" && schema.Enum.Count == 0 && schema.Format is null && _exampleValues.TryGetValue(name, out var known) ? known
            : SampleFor(name, schema, location, required);
        return new Parameter(name, location, required, schema, sample);
    }

    /// <summary>A value that passes the parameter's type (path segments name nothing that exists, so changes are unlikely).</summary>
    private static string? SampleFor(string name, SchemaInfo schema, string location, bool required)
    {
        if (location == "query" && !required)
        {
            return null;
        }

        return schema.Type switch
        {
            "integer" or "number" => "1",
            "boolean" => "true",
            "string" when schema.Enum.Count > 0 => schema.Enum[0],
            "string" when schema.Format is "uuid" => Guid.Empty.ToString(),
            "string" when schema.Format is "date-time" => "2026-11-25T09:00:00Z",
            "string" when schema.Format is "date" => "2026-11-25",
            _ when name == "subjectType" => "customer",
            _ when name.Contains("customer", StringComparison.OrdinalIgnoreCase) || name == "subjectId" => "100234",
            _ => "fuzz-no-such-entry",
        };
    }

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

    private sealed record Slot(string Path, string Name, object[] Steps, SchemaInfo Schema, bool Required);

    private sealed record Parameter(string Name, string In, bool Required, SchemaInfo Schema, string? Sample);
}
