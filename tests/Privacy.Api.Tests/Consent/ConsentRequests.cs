using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Consent;

/// <summary>Request bodies and reads shared by the consent tests.</summary>
internal static class ConsentRequests
{
    public const string SeedVersion = "2022-02-08";
    public const string BannerText = "Vi använder kakor för att webbplatsen ska fungera och, om du vill, för statistik.";

    public static string NewVisitorId() => Guid.NewGuid().ToString("N");

    public static string NewCustomerNumber() => Random.Shared.NextInt64(100_000, 999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The cookie purposes the banner asks about (Banner:Purposes by default).</summary>
    public static readonly string[] BannerPurposes = ["cookies.necessary", "cookies.preferences", "cookies.statistics"];

    /// <summary>
    /// A decision with proof. The channel, unless given, is where the seeded registry lets these purposes be granted: the banner
    /// for its cookie purposes, else the settings page (the newsletter, publication and third-party marketing are not the banner's).
    /// </summary>
    public static object Decision(string type, string id, IEnumerable<(string Purpose, string Status)> choices,
        string policyVersion = SeedVersion, bool? gpc = null, string noticeText = BannerText, string? channel = null, bool withProof = true) => new
    {
        subject = new { type, id },
        choices = choices.Select(c => new { purpose = c.Purpose, status = c.Status }),
        policyVersion,
        channel = channel ?? (choices.All(c => BannerPurposes.Contains(c.Purpose)) ? "banner" : "settings_page"),
        notice = new { id = "banner-v1-sv", text = noticeText },
        language = "sv",
        gpc,
        proof = withProof ? new { ipAddress = "203.0.113.7", userAgent = "Mozilla/5.0 (X11; Linux x86_64) test" } : null, // a banner key states none
    };

    public static async Task<JsonElement> State(this HttpClient client, string type, string id) =>
        await client.GetFromJsonAsync<JsonElement>($"/consent/subjects/{type}/{id}");

    public static JsonElement Purpose(this JsonElement state, string purpose) =>
        state.GetProperty("purposes").EnumerateArray().Single(p => p.GetProperty("purpose").GetString() == purpose);

    public static async Task<JsonElement> Record(this HttpClient client, object decision)
    {
        using var response = await client.PostJson("/consent/decisions", decision);
        return await response.ReadOk<JsonElement>(System.Net.HttpStatusCode.Created);
    }
}
