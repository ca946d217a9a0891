namespace Privacy.Api.Tests.Infrastructure;

/// <summary>Fresh subjects, so tests sharing a database never see each other's data.</summary>
public static class TestSubjects
{
    public static string NewCustomer() => Random.Shared.NextInt64(1_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A fresh, valid personnummer (YYYYMMDD-NNNC, Luhn check digit), so tests sharing a database never match each other's.</summary>
    public static string NewPersonnummer()
    {
        var date = new DateOnly(1940, 1, 1).AddDays(Random.Shared.Next(0, 365 * 60));
        var nine = $"{date:yyMMdd}{Random.Shared.Next(0, 1000):D3}";
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            var d = (nine[i] - '0') * (i % 2 == 0 ? 2 : 1);
            sum += d > 9 ? d - 9 : d;
        }

        return $"{date:yyyyMMdd}-{nine[6..]}{(10 - (sum % 10)) % 10}";
    }
}
