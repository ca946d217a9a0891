using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;

namespace Privacy.Api.Tests.PrivacyCenter;

/// <summary>What the privacy-center tests do as a person without a key: submit, read the code the e-mail system was sent, enter it.</summary>
internal static class PrivacyCenterSupport
{
    public static string NewEmail() => $"person-{Guid.NewGuid():N}@example.com";

    public static Task<HttpResponseMessage> SubmitToPrivacyCenter(this PrivacyApiFactory factory, string email, string type = "access",
        string? customerNumber = null, string? nationalIdentityNumber = null, string language = "sv", string? purpose = null) =>
        factory.Client(null).PostJson("/privacy-center/requests", new
        {
            type, subject = new { email, customerNumber, nationalIdentityNumber }, language, purpose,
        });

    /// <summary>Submits and answers the request id.</summary>
    public static async Task<string> AskPrivacyCenter(this PrivacyApiFactory factory, string email, string type = "access",
        string? customerNumber = null, string? nationalIdentityNumber = null, string language = "sv", string? purpose = null)
    {
        using var response = await factory.SubmitToPrivacyCenter(email, type, customerNumber, nationalIdentityNumber, language, purpose);
        return (await response.ReadOk<JsonElement>(HttpStatusCode.Accepted)).Text("requestId")!;
    }

    /// <summary>The codes the e-mail system was sent for a request (first code, new codes and the reminder's), oldest first.</summary>
    public static async Task<List<string>> CodesSent(this PrivacyApiFactory factory, string requestId) =>
        [.. (await factory.Sent("email", "rights_request.verification_code", requestId))
            .Concat(await factory.Sent("email", "rights_request.verification_reminder", requestId))
            .OrderBy(m => m.GetProperty("messageId").GetGuid())
            .Select(m => m.GetProperty("data").Text("code")!)];

    public static Task<HttpResponseMessage> EnterCode(this PrivacyApiFactory factory, string requestId, string code) =>
        factory.Client(null).PostJson($"/privacy-center/requests/{requestId}/verification", new { code });

    /// <summary>Enters the latest code sent and answers the status page's path.</summary>
    public static async Task<string> Confirm(this PrivacyApiFactory factory, string requestId)
    {
        using var response = await factory.EnterCode(requestId, (await factory.CodesSent(requestId))[^1]);
        return (await response.ReadOk<JsonElement>()).Text("statusPath")!;
    }

    public static async Task<JsonElement> StatusOf(this PrivacyApiFactory factory, string statusPath) =>
        await factory.Client(null).GetFromJsonAsync<JsonElement>($"{statusPath}?format=json");

    /// <summary>A wrong code for <paramref name="right"/>: the same length, another value.</summary>
    public static string Wrong(string right, int n = 1) => ((int.Parse(right, System.Globalization.CultureInfo.InvariantCulture) + n) % 1_000_000)
        .ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}
