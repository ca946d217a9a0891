using System.Globalization;

namespace Privacy.Reliability;

/// <summary>Random valid Swedish personnummer for the load's disclosures: twelve digits, YYYYMMDDNNNC.</summary>
internal static class Personnummer
{
    private static readonly DateOnly Earliest = new(1940, 1, 1);
    private static readonly DateOnly Latest = new(2005, 12, 31);

    /// <summary>A birth date between 1940 and 2005, a serial number, and the check digit that makes the last ten digits pass Luhn.</summary>
    public static string Random()
    {
        var born = Earliest.AddDays(System.Random.Shared.Next(Latest.DayNumber - Earliest.DayNumber + 1));
        var digits = born.ToString("yyyyMMdd", CultureInfo.InvariantCulture) +
                     System.Random.Shared.Next(1000).ToString("000", CultureInfo.InvariantCulture);
        return digits + CheckDigit(digits[2..]);
    }

    /// <summary>Skatteverket's modulus-10 (Luhn) check digit of YYMMDDNNN: weights 2, 1, 2, …, digit sums of the products.</summary>
    public static int CheckDigit(string nineDigits)
    {
        var sum = 0;
        for (var i = 0; i < nineDigits.Length; i++)
        {
            var product = (nineDigits[i] - '0') * (i % 2 == 0 ? 2 : 1);
            sum += product / 10 + product % 10;
        }

        return (10 - sum % 10) % 10;
    }
}
