using System.Net;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Notifications;

/// <summary>What the notifier tests do through the API: point the card provider at a receiver, raise follow-ups.</summary>
internal static class NotifierTestSupport
{
    public const string Recipient = "card-provider";

    public static string NewCustomer() => TestSubjects.NewCustomer();

    /// <summary>Points the card provider's endpoint at <paramref name="url"/>; returns a signing secret valid from now.</summary>
    public static async Task<string> SetEndpointAsync(PrivacyApiFactory factory, string url, string recipient = Recipient)
    {
        var ops = factory.Client(Roles.Ops);
        using var set = await ops.PutAsync($"/notifier/endpoints/{recipient}", JsonContent(new { url }));
        if (set.StatusCode == HttpStatusCode.Created)
        {
            return (await set.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("secret").GetString()!;
        }

        await set.ReadOk<JsonElement>();
        using var rotated = await ops.PostJson($"/notifier/endpoints/{recipient}/secrets", new { overlapHours = 0 });
        return (await rotated.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("secret").GetString()!;
    }

    /// <summary>Discloses to the card provider about <paramref name="customer"/> (once) and raises a follow-up; returns its webhook id.</summary>
    public static async Task<string> RaiseAsync(PrivacyApiFactory factory, string customer, string action = "erase", object? corrections = null,
        string recipient = Recipient)
    {
        if (await factory.ScalarAsync("SELECT count(*) FROM privacy.disclosures WHERE customer_number = $1", customer) == 0)
        {
            (await factory.Client(Roles.System).PostJson("/disclosures", new
            {
                disclosures = new[]
                {
                    new { recipient, customerNumber = customer, categories = new[] { "user.name", "user.contact.email" },
                          purpose = recipient == Recipient ? "customer_obligations" : "billing", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
                },
            })).EnsureSuccessStatusCode();
        }

        using var raised = await factory.Client(Roles.Ops).PostJson("/follow-ups", corrections is null
            ? new { customerNumber = customer, action, recipient }
            : new { customerNumber = customer, action, recipient, corrections });
        var body = await raised.ReadOk<JsonElement>(HttpStatusCode.Created);
        return Assert.Single(body.GetProperty("followUps").EnumerateArray()).GetProperty("messageId").GetString()!;
    }

    /// <summary>The message's row as the relay left it: attempts, whether it is claimed, delivered or dead, and when it is due.</summary>
    public static async Task<(int Attempts, bool Claimed, bool Delivered, bool Dead, DateTimeOffset NextAttemptAt, string? LastError)> MessageAsync(
        PrivacyApiFactory factory, string messageId)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT attempts, claimed_by IS NOT NULL, delivered_at IS NOT NULL, dead_lettered_at IS NOT NULL, next_attempt_at, last_error
            FROM privacy.outbox_messages WHERE message_id = $1
            """, connection);
        command.Parameters.AddWithValue(Guid.Parse(messageId));
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no outbox message {messageId}");
        return (reader.GetInt32(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetFieldValue<DateTimeOffset>(4),
            reader.IsDBNull(5) ? null : reader.GetString(5));
    }

    /// <summary>Waits until the relay has finished with the message's current attempt (it is not claimed and has been tried).</summary>
    public static Task SettledAsync(PrivacyApiFactory factory, string messageId, int attempts) =>
        NotifierFactory.Eventually(async () => await MessageAsync(factory, messageId) is var m && !m.Claimed && (m.Attempts >= attempts || m.Delivered),
            $"message {messageId} has had {attempts} attempts");

    public static Task DeliveredAsync(PrivacyApiFactory factory, string messageId) =>
        NotifierFactory.Eventually(async () => (await MessageAsync(factory, messageId)).Delivered, $"message {messageId} is delivered");

    /// <summary>Writes <paramref name="count"/> messages to the card provider straight into the outbox, for <paramref name="subjects"/> subjects.</summary>
    /// <param name="claimedUntil">Inserted already claimed by a relay that is gone, until then (none: free to claim at once).</param>
    public static async Task InsertMessagesAsync(PrivacyApiFactory factory, int count, int subjects, DateTimeOffset? claimedUntil = null)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        await using var insert = new Npgsql.NpgsqlCommand($$"""
            INSERT INTO privacy.outbox_messages (message_id, recipient_key, event_type, payload, ordering_key, created_at, next_attempt_at, attempts,
                                                 claimed_by, claimed_until)
            SELECT gen_random_uuid(), '{{Recipient}}', 'test.load', jsonb_build_object('n', g), 'subject-' || (g % $2), $3, $3, 0,
                   CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE gen_random_uuid() END, $4::timestamptz
            FROM generate_series(1, $1) g
            """, connection);
        insert.Parameters.AddWithValue(count);
        insert.Parameters.AddWithValue(subjects);
        insert.Parameters.AddWithValue(factory.Time.GetUtcNow());
        insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = (object?)claimedUntil ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await insert.ExecuteNonQueryAsync();
    }

    private static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body, HttpAssertions.Json), System.Text.Encoding.UTF8, "application/json");
}
