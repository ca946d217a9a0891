using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Sends hostile requests one by one and judges each answer: never 5xx; a 4xx is a problem document of a catalogued type for
/// its status (and of the kind the mutation decides, when it does), with a detail in plain words, no internals and no personal
/// data, and the database is as it was; a 2xx only where the mutation can still be valid, and its ids feed later requests.
/// </summary>
public sealed class HostileRun(NpgsqlConnection connection, DatabaseFingerprint fingerprint)
{
    private readonly List<string> _failures = [];
    private Dictionary<string, string>? _before;

    public IReadOnlyList<string> Failures => _failures;

    public int Tried { get; private set; }

    public int Refused { get; private set; }

    public int Accepted { get; private set; }

    public int ServerErrors { get; private set; }

    /// <summary>Requests whose path named entries from earlier answers, and how many of those got past 404.</summary>
    public int Chained { get; private set; }

    public int ChainedPast404 { get; private set; }

    /// <summary>Problem type → how many refusals carried it.</summary>
    public Dictionary<string, int> Types { get; } = new(StringComparer.Ordinal);

    /// <summary>Accepted requests by mutation ("valid request", "injection …").</summary>
    public Dictionary<string, int> AcceptedKinds { get; } = new(StringComparer.Ordinal);

    /// <summary>Sends <paramref name="request"/> and judges the answer; returns its status.</summary>
    public async Task<int> SendAsync(HttpClient client, HostileRequest request, string template, ChainedIds ids)
    {
        Tried++;
        // After a refused request the database is as it was before it, so its fingerprint is the next one's "before".
        var unchanged = _before ?? await fingerprint.TakeAsync(connection);
        using var response = await client.SendAsync(Message(request));
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        if (request.Chained)
        {
            Chained++;
            ChainedPast404 += status == 404 ? 0 : 1;
        }

        if (status >= 500)
        {
            ServerErrors++;
            _before = null;
            _failures.Add($"{request}: {status} {Shorten(body)}");
            return status;
        }

        if (status < 400)
        {
            _before = null; // an accepted request changes the database
            Accepted++;
            var kind = request.Mutation[(request.Mutation.IndexOf(": ", StringComparison.Ordinal) + 1)..].Trim();
            AcceptedKinds[kind] = AcceptedKinds.GetValueOrDefault(kind) + 1;
            if (!request.MayBeAccepted)
            {
                _failures.Add($"{request}: accepted with {status} {Shorten(body)}");
            }

            ids.Capture(template, body);
            return status;
        }

        Refused++;
        if (ProblemError(response, body, status, request.Expected) is { } error)
        {
            _failures.Add($"{request}: {status} {error}");
        }

        var echoed = HostileRequests.PersonalData.Where(Contains(body)).ToList();
        if (echoed.Count > 0)
        {
            _failures.Add($"{request}: the {status} problem repeats personal data ({string.Join(", ", echoed)})");
        }

        var after = await fingerprint.TakeAsync(connection);
        var recorded = RecordedByDesign(template, body);
        var changed = DatabaseFingerprint.Differences(unchanged, after).Where(d => !recorded.Any(t => d.StartsWith(t + " (", StringComparison.Ordinal))).ToList();
        if (changed.Count > 0)
        {
            _failures.Add($"{request}: refused with {status} but changed {string.Join("; ", changed)}");
        }

        _before = after;
        return status;
    }

    /// <summary>
    /// The tables a refusal changes by design, by operation and problem title: a wrong one-time code counts an attempt (the limit of
    /// Art 12(6) verification), and the last allowed one locks the request, which is closed and the person told. Nothing else may.
    /// </summary>
    private static IReadOnlyList<string> RecordedByDesign(string template, string body)
    {
        if (template != "/privacy-center/requests/{id}/verification")
        {
            return [];
        }

        var title = body.StartsWith('{') ? JsonDocument.Parse(body).RootElement.TryGetProperty("title", out var t) ? t.GetString() : null : null;
        return title switch
        {
            "Wrong code" => ["rights_request_verifications"],
            "Locked" => ["rights_request_verifications", "rights_requests", "rights_request_transitions", "rights_request_messages", "outbox_messages",
                "audit_entries"],
            _ => [],
        };
    }

    private static HttpRequestMessage Message(HostileRequest request)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                // As sent, even when it does not parse ("garbage", ";;;").
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        if (request.Accept is not null)
        {
            message.Headers.TryAddWithoutValidation("Accept", request.Accept);
        }

        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    /// <summary>Null when the answer is a problem document as every 4xx must be; otherwise what is wrong.</summary>
    private string? ProblemError(HttpResponseMessage response, string body, int status, ProblemType? expected)
    {
        // Whatever Accept says (text/html, text/plain, none, one refusing JSON): the service writes problem+json.
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"is not a problem document ({response.Content.Headers.ContentType?.MediaType ?? "no content type"}): {Shorten(body)}";
        }

        JsonElement problem;
        try
        {
            problem = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            return $"problem document is not JSON: {Shorten(body)}";
        }

        var type = problem.TryGetProperty("type", out var t) ? t.GetString() : null;
        Types[type ?? "(none)"] = Types.GetValueOrDefault(type ?? "(none)") + 1;
        var kind = ProblemTypes.Find(type);
        return true switch
        {
            _ when !problem.TryGetProperty("status", out var s) || s.GetInt32() != status => $"problem without its status: {Shorten(body)}",
            _ when !problem.TryGetProperty("title", out var title) || string.IsNullOrWhiteSpace(title.GetString()) => $"problem without a title: {Shorten(body)}",
            _ when !problem.TryGetProperty("detail", out var detail) || string.IsNullOrWhiteSpace(detail.GetString()) => $"problem without a detail: {Shorten(body)}",
            _ when kind is null => $"type {type ?? "(none)"} is not in the catalogue: {Shorten(body)}",
            _ when kind.Status != status => $"type {kind.Name} is for {kind.Status}, not {status}: {Shorten(body)}",
            _ when expected is not null && kind != expected => $"type {kind.Name}, expected {expected.Name}: {Shorten(body)}",
            _ when HttpAssertions.ProblemInternals().IsMatch(body) => $"problem reveals internals: {Shorten(body)}",
            _ => null,
        };
    }

    /// <summary>Whether the problem holds the value, as sent or however JSON escaped it.</summary>
    private static Func<string, bool> Contains(string body)
    {
        var strings = new List<string> { body };
        try
        {
            Collect(JsonDocument.Parse(body).RootElement, strings);
        }
        catch (JsonException)
        {
            // not JSON: the raw text is checked
        }

        return value => strings.Any(s => s.Contains(value, StringComparison.OrdinalIgnoreCase));
    }

    private static void Collect(JsonElement element, List<string> strings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                strings.Add(element.GetString()!);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    strings.Add(property.Name);
                    Collect(property.Value, strings);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, strings);
                }

                break;
        }
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
