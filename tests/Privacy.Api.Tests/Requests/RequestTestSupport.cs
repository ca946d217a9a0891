using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

/// <summary>What the rights-request tests do as their callers: ops submit and verify, systems report, partners acknowledge.</summary>
internal static class RequestTestSupport
{
    public static async Task<JsonElement> SubmitByOps(this PrivacyApiFactory factory, object body)
    {
        using var response = await factory.Client(Roles.Ops).PostJson("/requests", body);
        return await response.ReadOk<JsonElement>(HttpStatusCode.Created);
    }

    public static async Task<JsonElement> Verify(this PrivacyApiFactory factory, string id, string method = "Signed letter matched the customer record")
    {
        using var response = await factory.Client(Roles.Ops).PostJson($"/requests/{id}/identity-verification", new { method });
        return await response.ReadOk<JsonElement>();
    }

    public static async Task<JsonElement> RequestById(this PrivacyApiFactory factory, string id) =>
        await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/requests/{id}");

    public static List<JsonElement> Tasks(this JsonElement request) => [.. request.GetProperty("tasks").EnumerateArray()];

    public static string? Text(this JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Every pending task answered as its target would: each system with its own key, each partner acknowledging.</summary>
    public static async Task AnswerEveryTask(this PrivacyApiFactory factory, string id)
    {
        foreach (var task in (await factory.RequestById(id)).Tasks().Where(t => t.Text("status") == "pending"))
        {
            if (task.Text("targetKind") == "system")
            {
                (await factory.SystemClient(task.Text("target")!).PostJson($"/requests/tasks/{task.GetProperty("id").GetInt64()}/outcome", new { outcome = "done" }))
                    .EnsureSuccessStatusCode();
            }
            else
            {
                var partner = task.Text("target") == "card-provider" ? factory.Client(Roles.Partner) : factory.ClientWithKey(PrivacyApiFactory.OtherPartnerKey);
                (await partner.PostJson($"/partner/follow-ups/{task.GetProperty("followUpId").GetInt64()}/acknowledgement", new { outcome = "done" }))
                    .EnsureSuccessStatusCode();
            }
        }
    }

    /// <summary>The payloads (<c>data</c>) of the events of <paramref name="eventType"/> queued for <paramref name="party"/> about a request.</summary>
    public static async Task<List<JsonElement>> Sent(this PrivacyApiFactory factory, string party, string eventType, string requestId)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT payload::text, message_id FROM privacy.outbox_messages WHERE recipient_key = $1 AND event_type = $2 AND payload->'data'->>'requestId' = $3 ORDER BY id",
            connection);
        command.Parameters.AddWithValue(party);
        command.Parameters.AddWithValue(eventType);
        command.Parameters.AddWithValue(requestId);
        var sent = new List<JsonElement>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var root = JsonDocument.Parse(reader.GetString(0)).RootElement;
            sent.Add(JsonDocument.Parse(JsonSerializer.Serialize(new { data = root.GetProperty("data"), messageId = reader.GetGuid(1) })).RootElement);
        }

        return sent;
    }

    public static async Task Disclose(this PrivacyApiFactory factory, string customer, string recipient, string purpose, params string[] categories) =>
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient, customerNumber = customer, categories, purpose, legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
            },
        })).EnsureSuccessStatusCode();
}
