using System.Globalization;
using System.Text;
using System.Text.Json;
using Privacy.Api.Registry;

namespace Privacy.Api.Requests;

/// <summary>
/// One field of the copy of the data (Art 15(3)) as a person reads it: a label instead of the system's key, and the value,
/// the fields of an object, or the items of a list (each item its fields; a plain value is one field without a label).
/// </summary>
public sealed record ReportField(
    string Key, string Label, string? Value, IReadOnlyList<ReportField>? Fields, IReadOnlyList<IReadOnlyList<ReportField>>? Items);

/// <summary>
/// Turns what a system returned (JSON) into labelled fields: a key naming a registry category (its key, the key's last part or
/// the category's name, e.g. <c>user.contact.email</c>, <c>email</c>, <c>phoneNumber</c>) takes the category's name in the
/// report's language; a few common keys have a label of their own; any other key is written as words ("booking_date" →
/// "Booking date"), so no raw JSON reaches the reader.
/// </summary>
internal sealed class AccessReportCopy
{
    private static readonly Dictionary<string, (string Sv, string En)> Common = new()
    {
        ["reference"] = ("Referens", "Reference"), ["date"] = ("Datum", "Date"), ["time"] = ("Tid", "Time"),
        ["bookings"] = ("Bokningar", "Bookings"), ["booking"] = ("Bokning", "Booking"), ["tour"] = ("Tur", "Tour"), ["tours"] = ("Turer", "Tours"),
        ["guide"] = ("Guide", "Guide"), ["participants"] = ("Deltagare", "Participants"), ["amount"] = ("Belopp", "Amount"),
        ["currency"] = ("Valuta", "Currency"), ["status"] = ("Status", "Status"), ["created"] = ("Skapad", "Created"),
        ["createdat"] = ("Skapad", "Created"), ["updated"] = ("Ändrad", "Updated"), ["updatedat"] = ("Ändrad", "Updated"),
        ["invoices"] = ("Fakturor", "Invoices"), ["invoice"] = ("Faktura", "Invoice"), ["invoicenumber"] = ("Fakturanummer", "Invoice number"),
        ["duedate"] = ("Förfallodag", "Due date"), ["paid"] = ("Betald", "Paid"), ["paidat"] = ("Betald", "Paid"),
        ["messages"] = ("Meddelanden", "Messages"), ["message"] = ("Meddelande", "Message"), ["subject"] = ("Ämne", "Subject"),
        ["sent"] = ("Skickat", "Sent"), ["sentat"] = ("Skickat", "Sent"), ["address"] = ("Adress", "Address"), ["city"] = ("Ort", "City"),
        ["postalcode"] = ("Postnummer", "Postal code"), ["country"] = ("Land", "Country"), ["language"] = ("Språk", "Language"),
        ["description"] = ("Beskrivning", "Description"), ["title"] = ("Rubrik", "Title"), ["pages"] = ("Sidor", "Pages"),
        ["visits"] = ("Besök", "Visits"), ["lastlogin"] = ("Senaste inloggning", "Last sign-in"), ["lastseen"] = ("Senast sedd", "Last seen"),
        ["newsletter"] = ("Nyhetsbrev", "Newsletter"), ["subscribed"] = ("Prenumererar", "Subscribed"),
        ["nickname"] = ("Smeknamn", "Nickname"), ["interests"] = ("Intressen", "Interests"), ["notes"] = ("Anteckningar", "Notes"),
    };

    private readonly Dictionary<string, string> _categoryByName = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, EntryText> _categories;
    private readonly bool _sv;

    public AccessReportCopy(IReadOnlyDictionary<string, EntryText> categories, string language)
    {
        (_categories, _sv) = (categories, language == "sv");
        foreach (var c in categories.Values.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            foreach (var name in new[] { c.Key, c.Key[(c.Key.LastIndexOf('.') + 1)..], c.Name, c.NameSv, c.NameEn })
            {
                if (name is not null)
                {
                    _categoryByName.TryAdd(Normalise(name), c.Key);
                }
            }
        }
    }

    /// <summary>Whether a system returned anything about the person (not null, not an empty object or list).</summary>
    public static bool HasData(JsonElement? data) => data is { } d && d.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => false,
        JsonValueKind.Object => d.EnumerateObject().Any(),
        JsonValueKind.Array => d.GetArrayLength() > 0,
        JsonValueKind.String => d.GetString()!.Length > 0,
        _ => true,
    };

    public IReadOnlyList<ReportField> Fields(JsonElement? data)
    {
        if (!HasData(data))
        {
            return [];
        }

        var root = data!.Value;
        return root.ValueKind == JsonValueKind.Object
            ? [.. root.EnumerateObject().Select(p => Field(p.Name, p.Value))]
            : [Field("", root) with { Label = _sv ? "Uppgifter" : "Data" }];
    }

    /// <summary>The registry categories the keys of <paramref name="data"/> name, at any depth.</summary>
    public IEnumerable<string> CategoriesIn(JsonElement? data)
    {
        if (data is not { } d)
        {
            yield break;
        }

        if (d.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in d.EnumerateObject())
            {
                if (_categoryByName.TryGetValue(Normalise(p.Name), out var category))
                {
                    yield return category;
                }

                foreach (var inner in CategoriesIn(p.Value))
                {
                    yield return inner;
                }
            }
        }
        else if (d.ValueKind == JsonValueKind.Array)
        {
            foreach (var inner in d.EnumerateArray().SelectMany(e => CategoriesIn(e)))
            {
                yield return inner;
            }
        }
    }

    private ReportField Field(string key, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => new ReportField(key, Label(key), null, [.. value.EnumerateObject().Select(p => Field(p.Name, p.Value))], null),
        JsonValueKind.Array => new ReportField(key, Label(key), null, null, [.. value.EnumerateArray().Select(Item)]),
        _ => new ReportField(key, Label(key), Scalar(value), null, null),
    };

    private IReadOnlyList<ReportField> Item(JsonElement item) => item.ValueKind == JsonValueKind.Object
        ? [.. item.EnumerateObject().Select(p => Field(p.Name, p.Value))]
        : [Field("", item) with { Label = "" }];

    private string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => _sv ? "Ja" : "Yes",
        JsonValueKind.False => _sv ? "Nej" : "No",
        JsonValueKind.Null => "–",
        _ => value.GetRawText(),
    };

    private string Label(string key)
    {
        if (key.Length == 0)
        {
            return "";
        }

        var normal = Normalise(key);
        if (_categoryByName.TryGetValue(normal, out var category))
        {
            return _categories[category].NameIn(_sv ? "sv" : "en");
        }

        return Common.TryGetValue(normal, out var common) ? (_sv ? common.Sv : common.En) : Words(key);
    }

    /// <summary>"bookingDate", "booking_date", "user.contact.address" → "Booking date", "User contact address".</summary>
    private static string Words(string key)
    {
        var words = new StringBuilder(key.Length + 4);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c is '_' or '-' or '.' or ' ')
            {
                words.Append(' ');
            }
            else
            {
                if (char.IsUpper(c) && i > 0 && char.IsLower(key[i - 1]))
                {
                    words.Append(' ');
                }

                words.Append(char.ToLowerInvariant(c));
            }
        }

        var text = string.Join(' ', words.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return text.Length == 0 ? key : char.ToUpper(text[0], CultureInfo.InvariantCulture) + text[1..];
    }

    private static string Normalise(string name) =>
        string.Concat(name.Where(char.IsLetterOrDigit)).ToLowerInvariant();
}
