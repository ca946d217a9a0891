using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Privacy.Api.Subjects;

/// <summary>What a Swedish identity number identifies, told apart by its digits alone.</summary>
public enum SwedishIdentityNumberKind
{
    /// <summary>Personnummer: a person who is or has been registered in Sweden (folkbokföringslagen 18 §).</summary>
    PersonalIdentityNumber,

    /// <summary>Samordningsnummer: a person never registered in Sweden; the day of birth plus 60 (18 a §).</summary>
    CoordinationNumber,

    /// <summary>Organisationsnummer: a legal entity; the month part is 20 or more, so it never reads as a date.</summary>
    OrganisationNumber,
}

/// <summary>
/// A Swedish personnummer, samordningsnummer or organisationsnummer, checked by Skatteverket's rules:
/// the modulus-10 check digit over the ten-digit form, a real birth date that is not in the future, and
/// the century (18, 19 or 20) that the ten-digit form leaves out. Two spellings of one number parse to
/// equal values with one <see cref="Normalized"/> form, so they hash alike.
/// </summary>
/// <remarks>
/// The number is personal data: the service stores it only as a <see cref="KeyedHash"/>, and
/// <see cref="ToString"/> names the kind, never the digits, so the number cannot reach a log by accident.
/// </remarks>
public readonly record struct SwedishIdentityNumber
{
    // Null only in default(SwedishIdentityNumber), which no parse returns.
    private readonly string? _normalized;

    private SwedishIdentityNumber(SwedishIdentityNumberKind kind, string normalized, DateOnly? birthDate)
    {
        Kind = kind;
        _normalized = normalized;
        BirthDate = birthDate;
    }

    public SwedishIdentityNumberKind Kind { get; }

    /// <summary>
    /// Twelve digits, no separator: the century and the ten digits for a person (as Skatteverket stores them),
    /// "16" and the ten digits for an organisation (the customary fictitious century).
    /// </summary>
    public string Normalized => _normalized ?? throw new InvalidOperationException("This SwedishIdentityNumber was never parsed.");

    /// <summary>The date in the number (for a samordningsnummer the day minus 60); null for an organisation.</summary>
    public DateOnly? BirthDate { get; }

    /// <summary>
    /// Parses "YYMMDDNNNC", "YYMMDD-NNNC", "YYMMDD+NNNC", "CCYYMMDDNNNC", "CCYYMMDD-NNNC" and, for an
    /// organisation, the same with "16" as the century. Nothing else: no whitespace, no other separator, no
    /// non-ASCII digits. <paramref name="today"/> decides the century of the ten-digit form and what is "future".
    /// </summary>
    public static bool TryParse(string? input, DateOnly today, out SwedishIdentityNumber number)
    {
        number = default;
        if (input is null)
        {
            return false;
        }

        var text = input.AsSpan();
        ReadOnlySpan<char> century = default;
        var separator = '\0';
        Span<char> digits = stackalloc char[10];
        switch (text.Length)
        {
            case 10:
                text.CopyTo(digits);
                break;
            case 11:
                separator = text[6];
                text[..6].CopyTo(digits);
                text[7..].CopyTo(digits[6..]);
                break;
            case 12:
                century = text[..2];
                text[2..].CopyTo(digits);
                break;
            case 13:
                // With the century written out, a '+' carries no information; Skatteverket writes '-' there.
                if (text[8] != '-')
                {
                    return false;
                }

                separator = '-';
                century = text[..2];
                text[2..8].CopyTo(digits);
                text[9..].CopyTo(digits[6..]);
                break;
            default:
                return false;
        }

        if (separator is not ('\0' or '-' or '+')
            || digits.ContainsAnyExceptInRange('0', '9')
            || century.ContainsAnyExceptInRange('0', '9')
            || !HasValidCheckDigit(digits))
        {
            return false;
        }

        // A month part of 20 or more cannot be a birth month: that is what marks an organisation.
        return digits[2] >= '2'
            ? TryOrganisation(digits, century, separator, out number)
            : TryPerson(digits, century, separator, today, out number);
    }

    /// <summary>
    /// HMAC-SHA256 of the UTF-8 <see cref="Normalized"/> form, as lowercase hex: the only form in which the
    /// service stores an identity number. Only the normalized form is accepted, so a number typed as
    /// "YYMMDD-NNNC" cannot be stored under a hash that the same number typed otherwise would never find.
    /// </summary>
    public static string KeyedHash(string normalized, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        if (normalized.Length != 12 || normalized.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            // The value itself stays out of the message: exceptions get logged.
            throw new ArgumentException("Expected the 12-digit normalized form of a Swedish identity number.", nameof(normalized));
        }

        if (key.IsEmpty)
        {
            throw new ArgumentException("The key must not be empty.", nameof(key));
        }

        Span<byte> utf8 = stackalloc byte[12];
        Encoding.UTF8.GetBytes(normalized, utf8);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, utf8, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Names the kind only: the digits must never reach a log line.</summary>
    public override string ToString() => $"{nameof(SwedishIdentityNumber)}({Kind})";

    private static bool TryOrganisation(ReadOnlySpan<char> digits, ReadOnlySpan<char> century, char separator, out SwedishIdentityNumber number)
    {
        number = default;
        // '+' speaks of a person's age; the only "century" an organisation number takes is the fictitious 16.
        if (separator == '+' || (!century.IsEmpty && !century.SequenceEqual("16")))
        {
            return false;
        }

        number = new SwedishIdentityNumber(SwedishIdentityNumberKind.OrganisationNumber, string.Concat("16", digits), null);
        return true;
    }

    private static bool TryPerson(ReadOnlySpan<char> digits, ReadOnlySpan<char> century, char separator, DateOnly today, out SwedishIdentityNumber number)
    {
        number = default;
        var yearInCentury = TwoDigits(digits[..2]);
        var month = TwoDigits(digits[2..4]);
        var day = TwoDigits(digits[4..6]);
        var kind = SwedishIdentityNumberKind.PersonalIdentityNumber;
        if (day > 60)
        {
            kind = SwedishIdentityNumberKind.CoordinationNumber;
            day -= 60;
        }

        int year;
        if (!century.IsEmpty)
        {
            year = TwoDigits(century) * 100 + yearInCentury;
        }
        else if (separator == '+')
        {
            // The '+' replaces the '-' from the start of the year the person turns 100 (folkbokföringslagen 18 §),
            // so the birth year is at least 100 years before this year, even if the birthday is still to come.
            year = LatestYearEndingIn(yearInCentury, today.Year - 100);
        }
        else
        {
            // The latest century that does not put the birth date in the future.
            year = LatestYearEndingIn(yearInCentury, today.Year);
            if (year == today.Year && month * 100 + day > today.Month * 100 + today.Day)
            {
                year -= 100;
            }
        }

        // Skatteverket stores the century as 18, 19 or 20; nobody alive in 1947 was born before 1800.
        if (year / 100 is < 18 or > 20
            || month is < 1 or > 12
            || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        var birthDate = new DateOnly(year, month, day);
        if (birthDate > today)
        {
            return false;
        }

        var normalized = string.Concat((year / 100).ToString(CultureInfo.InvariantCulture), digits);
        number = new SwedishIdentityNumber(kind, normalized, birthDate);
        return true;
    }

    /// <summary>Modulus 10 with weights 2 and 1 over the first nine digits (Skatteverket, SKV 704).</summary>
    private static bool HasValidCheckDigit(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            var product = (digits[i] - '0') * (i % 2 == 0 ? 2 : 1);
            sum += product > 9 ? product - 9 : product;
        }

        return (10 - sum % 10) % 10 == digits[9] - '0';
    }

    private static int TwoDigits(ReadOnlySpan<char> digits) => (digits[0] - '0') * 10 + (digits[1] - '0');

    private static int LatestYearEndingIn(int yearInCentury, int notAfter) =>
        notAfter - ((notAfter - yearInCentury) % 100 + 100) % 100;
}
