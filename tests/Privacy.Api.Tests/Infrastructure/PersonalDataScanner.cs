using System.Net;
using System.Text.RegularExpressions;
using Privacy.Api.Subjects;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>What the scanner found in a text: the kind and where.</summary>
public sealed record PersonalDataFinding(string Kind, int Index, int Length);

/// <summary>
/// Finds e-mail addresses, Swedish personnummer and samordningsnummer (10 or 12 digits, '-' or '+' or no separator, a real
/// date and a valid check digit, as the service parses them; organisationsnummer are not personal data) and IPv4 and IPv6
/// addresses in log text. The loopback and unspecified addresses a listening server prints are allowed; no other address is.
/// </summary>
public static partial class PersonalDataScanner
{
    private static readonly HashSet<string> AllowedAddresses = ["127.0.0.1", "0.0.0.0", "::1", "::"];

    public static IReadOnlyList<PersonalDataFinding> Scan(string text)
    {
        var findings = new List<PersonalDataFinding>();
        foreach (Match m in Email().Matches(text))
        {
            findings.Add(new("e-mail", m.Index, m.Length));
        }

        foreach (Match m in IdentityNumber().Matches(text))
        {
            if (SwedishIdentityNumber.TryParse(m.Value, DateOnly.FromDateTime(DateTime.UtcNow), out var number)
                && number.Kind != SwedishIdentityNumberKind.OrganisationNumber)
            {
                findings.Add(new(number.Kind == SwedishIdentityNumberKind.CoordinationNumber ? "samordningsnummer" : "personnummer", m.Index, m.Length));
            }
        }

        foreach (Match m in IPv4().Matches(text))
        {
            if (IsVersion(text, m.Index) || AllowedAddresses.Contains(m.Value)
                || !m.Value.Split('.').All(part => int.Parse(part, System.Globalization.CultureInfo.InvariantCulture) <= 255))
            {
                continue;
            }

            findings.Add(new("IPv4 address", m.Index, m.Length));
        }

        foreach (Match m in IPv6().Matches(text))
        {
            if (!AllowedAddresses.Contains(m.Value) && IPAddress.TryParse(m.Value, out var address)
                && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                findings.Add(new("IPv6 address", m.Index, m.Length));
            }
        }

        return findings;
    }

    /// <summary>The text with every finding replaced by its kind and first character, e.g. "[e-mail a…]".</summary>
    public static string Mask(string text, IReadOnlyList<PersonalDataFinding> findings)
    {
        var masked = new System.Text.StringBuilder();
        var at = 0;
        foreach (var f in findings.OrderBy(f => f.Index))
        {
            if (f.Index < at)
            {
                continue; // overlaps one already masked
            }

            masked.Append(text, at, f.Index - at).Append('[').Append(f.Kind).Append(' ').Append(text[f.Index]).Append("…]");
            at = f.Index + f.Length;
        }

        return masked.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>"Version=10.0.0.0", "version 1.2.3.4", "v1.2.3.4": a four-part version, not an address.</summary>
    private static bool IsVersion(string text, int index)
    {
        var before = text.AsSpan(0, index).TrimEnd("= ");
        return before.EndsWith("version", StringComparison.OrdinalIgnoreCase) || before.EndsWith("v", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    // Not inside a longer run of letters, digits, dots or dashes (GUID groups, hashes, decimals, longer numbers).
    [GeneratedRegex(@"(?<![0-9A-Za-z.\-])(?:\d{8}-\d{4}|\d{6}[-+]\d{4}|\d{12}|\d{10})(?![0-9A-Za-z]|[.\-][0-9A-Za-z])")]
    private static partial Regex IdentityNumber();

    [GeneratedRegex(@"(?<![0-9A-Za-z.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![0-9A-Za-z]|\.\d)")]
    private static partial Regex IPv4();

    // Eight groups, or fewer around one "::"; optionally ending in a dotted IPv4 ("::ffff:10.1.2.3"). Not part of a longer
    // word, so PostgreSQL casts ("id::bigint") and times ("09:00:00") do not match.
    [GeneratedRegex(@"(?<![0-9A-Za-z_:.])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?(?::\d{1,3}(?:\.\d{1,3}){3})?|(?:[0-9A-Fa-f]{1,4}:){6}\d{1,3}(?:\.\d{1,3}){3})(?![0-9A-Za-z_:])")]
    private static partial Regex IPv6();
}
