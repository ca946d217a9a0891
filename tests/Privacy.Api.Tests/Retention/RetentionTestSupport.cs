using System.Net;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Retention;

/// <summary>Clock events, schedules and sweeps as the retention tests use them.</summary>
internal static class RetentionTestSupport
{
    public static async Task ReportClock(this PrivacyApiFactory factory, string customer, string kind, DateTimeOffset at)
    {
        using var response = await factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey).PostJson("/retention/clock-events",
            new { events = new[] { new { customerNumber = customer, kind, occurredAt = at } } });
        await response.ReadOk<JsonElement>();
    }

    public static async Task<JsonElement> Schedule(this PrivacyApiFactory factory, string customer, DateTimeOffset? at = null)
    {
        using var response = await factory.Client(Roles.Ops).GetAsync(
            $"/retention/subjects/{customer}/schedule" + (at is null ? "" : $"?at={Uri.EscapeDataString(at.Value.ToString("O"))}"));
        return await response.ReadOk<JsonElement>();
    }

    public static JsonElement Category(this JsonElement schedule, string category) =>
        schedule.GetProperty("categories").EnumerateArray().Single(c => c.GetProperty("category").GetString() == category);

    public static string State(this JsonElement schedule, string category) => schedule.Category(category).GetProperty("state").GetString()!;

    public static async Task<JsonElement> Sweep(this PrivacyApiFactory factory)
    {
        using var response = await factory.Client(Roles.Ops).PostAsync("/retention/sweeps", null);
        return await response.ReadOk<JsonElement>();
    }

    /// <summary>The categories the sweep has handed to retention requests for <paramref name="customer"/>, with how often each.</summary>
    public static async Task<Dictionary<string, long>> SweptCategories(this PrivacyApiFactory factory, string customer)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT category_key, count(*) FROM privacy.retention_items WHERE customer_number = $1 GROUP BY category_key", connection);
        command.Parameters.AddWithValue(customer);
        var result = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = reader.GetInt64(1);
        }

        return result;
    }

    public static DateTimeOffset At(this JsonElement element, string property) => element.GetProperty(property).GetDateTimeOffset();

    public static async Task<HttpResponseMessage> Ops(this PrivacyApiFactory factory, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = System.Net.Http.Json.JsonContent.Create(body, options: HttpAssertions.Json);
        }

        return await factory.Client(Roles.Ops).SendAsync(request);
    }

    public static void AssertStatus(this HttpResponseMessage response, HttpStatusCode status) =>
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {response.Content.ReadAsStringAsync().Result}");
}
