using System.Net.Http.Json;
using System.Text.Json;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>Reads a partner's feed as a partner would: page after page with the cursor.</summary>
public static class PartnerFeedReader
{
    /// <summary>
    /// Reads until an entry matches. The feed trails every transaction still running on the server (other tests
    /// share it), so an entry may take a moment to appear.
    /// </summary>
    public static async Task<(List<JsonElement> Entries, string Cursor)> ReadUntil(HttpClient partner, Func<JsonElement, bool> wanted, string? from = null)
    {
        var entries = new List<JsonElement>();
        var cursor = from;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            var (more, next) = await ReadAll(partner, cursor);
            entries.AddRange(more);
            cursor = next;
        }
        while (!entries.Any(wanted) && DateTime.UtcNow < deadline);

        return (entries, cursor!);
    }

    /// <summary>Reads every page up to the first empty one.</summary>
    public static async Task<(List<JsonElement> Entries, string Cursor)> ReadAll(HttpClient partner, string? from = null)
    {
        var entries = new List<JsonElement>();
        var cursor = from;
        while (true)
        {
            var page = await partner.GetFromJsonAsync<JsonElement>(cursor is null ? "/partner/feed" : $"/partner/feed?cursor={Uri.EscapeDataString(cursor)}");
            var items = page.GetProperty("items").EnumerateArray().ToList();
            entries.AddRange(items);
            cursor = page.GetProperty("cursor").GetString()!;
            if (items.Count == 0)
            {
                return (entries, cursor);
            }
        }
    }
}
