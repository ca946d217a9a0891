using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Privacy.Api.Platform.Problems;

namespace Privacy.Api.Tests.Platform;

/// <summary>One generated request and what the service may answer to it.</summary>
/// <param name="Operation">The OpenAPI operation, e.g. <c>POST /registry/categories</c>.</param>
/// <param name="Mutation">What was done to the valid request, e.g. <c>$.name: 100001 characters</c>.</param>
/// <param name="MayBeAccepted">True when the mutation can still be a valid request (an optional field left out, an injection
/// string in a free-text field): then 2xx is fine. Otherwise only a 4xx problem document is.</param>
/// <param name="Accept">The Accept header, or null for none.</param>
/// <param name="Expected">The kind of problem the answer must be, when the mutation decides it (a key given twice).</param>
/// <param name="Chained">True when the path names entries taken from earlier answers (so it gets past 404).</param>
public sealed record HostileRequest(
    string Operation, string Method, string Url, byte[]? Body, string? ContentType, IReadOnlyDictionary<string, string> Headers,
    string Mutation, bool MayBeAccepted, string? Accept = "application/json", ProblemType? Expected = null, bool Chained = false)
{
    public override string ToString() =>
        $"{Operation}{(Chained ? " (chained ids)" : "")} [{Mutation}{(Accept == "application/json" ? "" : $"; Accept: {Accept ?? "none"}")}]";
}

/// <summary>A change to the valid body: the bytes sent and their Content-Type, and what the service may answer.</summary>
internal sealed record BodyMutation(string Mutation, byte[] Body, string? ContentType, bool MayBeAccepted, ProblemType? Expected = null);

/// <summary>
/// Derives hostile requests from the service's OpenAPI document: for every operation a valid request (the documented
/// example body, sample parameter values) and then mutations of it — each field of the wrong JSON type, left out, or
/// holding huge, deeply nested, invalid UTF-8, injection or personal-data values; whole bodies that are malformed, of the
/// wrong content type or over the size limit; path, query and header parameters of the wrong type, huge or injected.
/// Deterministic: the same document always gives the same requests in the same order.
/// </summary>
public sealed partial class HostileRequests(JsonElement document, long maxBodyBytes)
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

    /// <summary>
    /// Accept headers a client may send: the answer's status and problem document must not depend on them (none, a type the
    /// service does not write, one that refuses JSON, one that does not parse).
    /// </summary>
    private static readonly string?[] AcceptHeaders =
    [
        null, "*/*", "application/problem+json", "text/html", "text/plain", "application/xml", "garbage", "application/json;q=0",
        "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "image/png", ";;;",
    ];

    /// <summary>Whether <see cref="For"/> with <paramref name="ids"/> names an entry from an earlier answer in the path.</summary>
    public bool Chains(string path, JsonElement operation, ChainedIds ids) =>
        Parameters(operation).Any(x => x.In == "path" && ids.For(path, x.Name) is not null);

    /// <summary>
    /// The requests for one operation: the valid one, the same and a refused one under every Accept header, then each mutation.
    /// With <paramref name="ids"/>, path parameters name entries from earlier answers where there are any.
    /// </summary>
    public IEnumerable<HostileRequest> For(string method, string path, JsonElement operation, ChainedIds? ids = null)
    {
        var name = $"{method} {path}";
        var parameters = Parameters(operation);
        JsonNode? example = null;
        JsonElement bodySchema = default;
        if (operation.TryGetProperty("requestBody", out var requestBody)
            && requestBody.GetProperty("content").TryGetProperty("application/json", out var json))
        {
            example = json.TryGetProperty("example", out var e) ? JsonNode.Parse(e.GetRawText()) : new JsonObject();
            bodySchema = json.TryGetProperty("schema", out var schema) ? Resolve(schema) : default;
        }

        // A path parameter the body repeats (PUT /registry/categories/{key} with its key) takes the example's value.
        var chained = false;
        var baseValues = parameters.ToDictionary(x => x, x =>
        {
            if (x.In == "path" && ids?.For(path, x.Name) is { } known)
            {
                chained = true;
                return known;
            }

            return x.In == "path" && example?[x.Name] is JsonValue v && v.TryGetValue<string>(out var same) ? same : x.Sample;
        });
        var validBody = example is null ? null : Encoding.UTF8.GetBytes(example.ToJsonString());
        HostileRequest Make(string mutation, bool mayBeAccepted, IReadOnlyDictionary<Parameter, string?> values, byte[]? body,
            string? contentType = "application/json", string? accept = "application/json", ProblemType? expected = null) =>
            new(name, method, Url(path, values), body, body is null ? null : contentType, Headers(values), mutation, mayBeAccepted, accept,
                expected, chained);

        // The valid request itself: it may succeed, and must not fail with 5xx. With ids from earlier answers it comes last, so the
        // mutations meet the entry as it was created rather than closed, released or deleted by it.
        var valid = new List<HostileRequest> { Make("valid request", true, baseValues, validBody) };

        // The valid request and one the service must refuse, under each Accept header.
        var refused = example is not null
            ? Make("malformed JSON: not JSON", false, baseValues, "not json"u8.ToArray(), expected: ProblemTypes.MalformedJson)
            : parameters.SelectMany(x => ParameterMutations(x).Where(m => !m.MayBeAccepted)
                    .Select(m => Make($"{x.In} {x.Name}: {m.Mutation}", false, new Dictionary<Parameter, string?>(baseValues) { [x] = m.Value }, null)))
                .FirstOrDefault();
        foreach (var accept in AcceptHeaders)
        {
            valid.Add(Make("valid request", true, baseValues, validBody, accept: accept));
            if (refused is not null)
            {
                valid.Add(refused with { Accept = accept });
            }
        }

        foreach (var request in chained ? [] : valid)
        {
            yield return request;
        }

        foreach (var parameter in parameters)
        {
            foreach (var (value, mutation, mayBeAccepted) in ParameterMutations(parameter))
            {
                var values = new Dictionary<Parameter, string?>(baseValues) { [parameter] = value };
                yield return Make($"{parameter.In} {parameter.Name}: {mutation}", mayBeAccepted, values, validBody);
            }
        }

        // A query parameter given twice: a number, date or flag cannot be two at once; free text reads as both, joined.
        foreach (var parameter in parameters.Where(x => x.In == "query"))
        {
            var value = baseValues[parameter] ?? SampleFor(parameter.Name, parameter.Schema, "path", true);
            var single = new Dictionary<Parameter, string?>(baseValues) { [parameter] = value };
            yield return Make($"query {parameter.Name}: given twice", parameter.Schema is { Type: "string", Enum.Count: 0, Format: null }, single, validBody)
                with { Url = Url(path, single) + $"&{Uri.EscapeDataString(parameter.Name)}={Uri.EscapeDataString(value ?? "")}" };
        }

        // An unknown query parameter is ignored by ASP.NET Core: harmless, not hostile.
        yield return Make("unknown query parameter", true, baseValues, validBody) with
        {
            Url = Url(path, baseValues) + (Url(path, baseValues).Contains('?') ? "&" : "?") + "fuzzExtra=%27%3B--",
        };

        var bodies = example is null ? [] : WholeBodyMutations(example).Concat(FieldMutations(example, bodySchema));
        foreach (var body in bodies)
        {
            yield return Make(body.Mutation, body.MayBeAccepted, baseValues, body.Body, body.ContentType, expected: body.Expected);
        }

        foreach (var request in chained ? valid : [])
        {
            yield return request;
        }
    }

    /// <summary>
    /// For each path, a request with each method it does not take (the path otherwise as its first operation's valid request):
    /// 405, naming those it takes. With the method and path of that first operation, whose role may call the path.
    /// </summary>
    public IEnumerable<(string Method, string Path, HostileRequest Request)> WrongMethods()
    {
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var documented = path.Value.EnumerateObject().Select(o => o.Name.ToUpperInvariant()).Where(m => m is "GET" or "POST" or "PUT" or "PATCH" or "DELETE").ToList();
            if (documented.Count == 0)
            {
                continue;
            }

            var valid = For(documented[0], path.Name, path.Value.GetProperty(documented[0].ToLowerInvariant())).First();
            foreach (var method in new[] { "GET", "POST", "PUT", "PATCH", "DELETE" }.Except(documented))
            {
                yield return (documented[0], path.Name, valid with
                {
                    Operation = $"{method} {path.Name}", Method = method, Body = null, ContentType = null, Mutation = "a method the path does not take",
                    MayBeAccepted = false, Expected = ProblemTypes.MethodNotAllowed,
                });
            }
        }
    }

    private List<Parameter> Parameters(JsonElement operation) =>
        operation.TryGetProperty("parameters", out var p) ? [.. p.EnumerateArray().Select(ReadParameter)] : [];

    private IEnumerable<(string? Value, string Mutation, bool MayBeAccepted)> ParameterMutations(Parameter parameter)
    {
        var schema = parameter.Schema;
        if (parameter.In == "header")
        {
            // A header with a sample names whom the caller acts for (the signed-in customer): only the website's key must send
            // it, and for ops it is not read at all, so what it holds matters only for some callers.
            var readForSome = parameter.Sample is not null && !parameter.Required;
            if (parameter.Sample is not null)
            {
                yield return (null, "left out", !parameter.Required);
            }

            yield return (new string('k', 300), "300 characters", readForSome);
            yield return ("has spaces and ; DROP", "not visible ASCII", readForSome);
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
        // Headers are left out, but the signed-in customer: the website's key acts for one, or is refused (the examples' customer).
        var sample = location == "header" ? (name.Contains("customer", StringComparison.OrdinalIgnoreCase) ? SampleFor(name, schema, "path", true) : null)
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


    private sealed record Parameter(string Name, string In, bool Required, SchemaInfo Schema, string? Sample);
}