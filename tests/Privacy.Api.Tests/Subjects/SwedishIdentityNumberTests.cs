using System.Globalization;
using Privacy.Api.Subjects;

namespace Privacy.Api.Tests.Subjects;

/// <summary>
/// Skatteverket's rules for personnummer, samordningsnummer and organisationsnummer. Every number here that is
/// meant to fail for its date, century or kind carries a valid check digit, so it fails for that rule alone.
/// </summary>
public sealed class SwedishIdentityNumberTests
{
    private static readonly DateOnly Today = new(2026, 6, 15);

    [Theory]
    [InlineData("811218-9876", "198112189876", "1981-12-18")]
    [InlineData("8112189876", "198112189876", "1981-12-18")]
    [InlineData("198112189876", "198112189876", "1981-12-18")]
    [InlineData("19811218-9876", "198112189876", "1981-12-18")]
    [InlineData("640823-3234", "196408233234", "1964-08-23")]
    [InlineData("18811218-9876", "188112189876", "1881-12-18")]
    [InlineData("20000229-1235", "200002291235", "2000-02-29")]
    public void APersonalIdentityNumberIsAcceptedInEveryFormat(string input, string normalized, string birthDate)
    {
        var number = Parse(input);

        Assert.Equal(SwedishIdentityNumberKind.PersonalIdentityNumber, number.Kind);
        Assert.Equal(normalized, number.Normalized);
        Assert.Equal(Date(birthDate), number.BirthDate);
    }

    [Theory]
    [InlineData("701063-2391", "197010632391", "1970-10-03")]
    [InlineData("7010632391", "197010632391", "1970-10-03")]
    [InlineData("197010632391", "197010632391", "1970-10-03")]
    [InlineData("19701063-2391", "197010632391", "1970-10-03")]
    [InlineData("811261-1234", "198112611234", "1981-12-01")]
    [InlineData("811291-1238", "198112911238", "1981-12-31")]
    [InlineData("20000289-1232", "200002891232", "2000-02-29")]
    public void ACoordinationNumberCarriesTheDayPlusSixty(string input, string normalized, string birthDate)
    {
        var number = Parse(input);

        Assert.Equal(SwedishIdentityNumberKind.CoordinationNumber, number.Kind);
        Assert.Equal(normalized, number.Normalized);
        Assert.Equal(Date(birthDate), number.BirthDate);
    }

    [Theory]
    [InlineData("556036-0793", "165560360793")]
    [InlineData("5560360793", "165560360793")]
    [InlineData("165560360793", "165560360793")]
    [InlineData("16556036-0793", "165560360793")]
    [InlineData("212000-0142", "162120000142")]
    [InlineData("8024000005", "168024000005")]
    public void AnOrganisationNumberIsNormalizedWithSixteenAndHasNoBirthDate(string input, string normalized)
    {
        var number = Parse(input);

        Assert.Equal(SwedishIdentityNumberKind.OrganisationNumber, number.Kind);
        Assert.Equal(normalized, number.Normalized);
        Assert.Null(number.BirthDate);
    }

    [Theory]
    [InlineData("811218-9875")]
    [InlineData("8112189870")]
    [InlineData("198112189877")]
    [InlineData("701063-2390")]
    [InlineData("556036-0794")]
    [InlineData("165560360792")]
    public void AWrongCheckDigitIsRejected(string input) => AssertRejected(input);

    [Theory]
    [InlineData("810230-1234")] // 30 February
    [InlineData("810431-1231")] // 31 April
    [InlineData("811301-1236")] // month 13
    [InlineData("810001-1231")] // month 00
    [InlineData("811200-1238")] // day 00
    [InlineData("811232-1230")] // day 32
    [InlineData("010229-1234")] // 2001 is no leap year
    [InlineData("190002291235")] // 1900 is no leap year (divisible by 100, not by 400)
    [InlineData("000229+1235")] // the '+' puts it in 1900
    [InlineData("811260-1235")] // samordningsnummer day 60: day 00
    [InlineData("811292-1237")] // samordningsnummer day 92: day 32
    [InlineData("810290-1231")] // samordningsnummer for 30 February
    public void AnImpossibleDateIsRejected(string input) => AssertRejected(input);

    [Fact]
    public void TheTwentyNinthOfFebruaryIsAcceptedInALeapYear()
    {
        Assert.Equal(Date("2000-02-29"), Parse("000229-1235").BirthDate);
        Assert.Equal(Date("2000-02-29"), Parse("200002291235").BirthDate);
    }

    [Theory]
    [InlineData("202606161236")] // tomorrow
    [InlineData("20260616-1236")]
    [InlineData("203001011232")]
    [InlineData("202606761233")] // samordningsnummer for tomorrow
    public void ABirthDateInTheFutureIsRejected(string input) => AssertRejected(input);

    [Fact]
    public void ABirthDateOfTodayIsAccepted() => Assert.Equal(Today, Parse("202606151237").BirthDate);

    [Theory]
    [InlineData("2606151237", "2026-06-15")] // born today
    [InlineData("260615-1237", "2026-06-15")]
    [InlineData("2606161236", "1926-06-16")] // tomorrow's date in this century would be the future
    [InlineData("260616-1236", "1926-06-16")]
    [InlineData("2512311230", "2025-12-31")]
    [InlineData("9901011230", "1999-01-01")]
    [InlineData("1212121212", "2012-12-12")]
    [InlineData("121212-1212", "2012-12-12")]
    [InlineData("121212+1212", "1912-12-12")]
    [InlineData("811218+9876", "1881-12-18")]
    [InlineData("990101+1230", "1899-01-01")]
    [InlineData("260615+1237", "1926-06-15")] // 100 today
    [InlineData("260616+1236", "1926-06-16")] // turns 100 this year: the '+' is used from January
    [InlineData("701063+2391", "1870-10-03")]
    public void TheTenDigitFormTakesTheLatestCenturyThatIsNotInTheFutureAndPlusMeansAHundredYearsEarlier(string input, string birthDate)
    {
        var number = Parse(input);

        Assert.Equal(Date(birthDate), number.BirthDate);
        Assert.StartsWith(birthDate[..4], number.Normalized, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("17811218-9876")] // Skatteverket's centuries are 18, 19 and 20
    [InlineData("168112189876")] // 16 is the organisations' century
    [InlineData("19811218+9876")] // '+' only in the ten-digit form
    public void AnImpossibleCenturyIsRejected(string input) => AssertRejected(input);

    [Theory]
    [InlineData("556036+0793")] // '+' is a person's age
    [InlineData("195560360793")] // the only century of an organisation is 16
    [InlineData("205560360793")]
    [InlineData("19556036-0793")]
    [InlineData("161212121212")] // month part below 20 after 16: neither an organisation nor a person
    [InlineData("551036-1230")] // third digit 1: read as a person, and day 36 is no date
    public void AnOrganisationNumberOutsideItsRulesIsRejected(string input) => AssertRejected(input);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("abcdefghij")]
    [InlineData("81121A-9876")]
    [InlineData("811218-987")]
    [InlineData("811218-98765")]
    [InlineData("81121898761")]
    [InlineData("1981121898761")]
    [InlineData("811218 9876")]
    [InlineData(" 8112189876")]
    [InlineData("8112189876 ")]
    [InlineData("811218--9876")]
    [InlineData("811218_9876")]
    [InlineData("811218\u20139876")] // en dash
    [InlineData("81121-89876")] // separator in the wrong place
    [InlineData("1981121-89876")]
    [InlineData("-8112189876")]
    [InlineData("+8112189876")]
    [InlineData("\u0668\u0661\u0661\u0662\u0661\u0668-\u0669\u0668\u0667\u0666")] // Arabic-Indic digits
    [InlineData("\uFF18\uFF11\uFF11\uFF12\uFF11\uFF18-\uFF19\uFF18\uFF17\uFF16")] // fullwidth digits
    [InlineData("\u0968\u0967\u0967\u0968\u0967\u096E\u096F\u096E\u096D\u096C")] // Devanagari digits
    public void AnythingElseIsRejected(string? input) => AssertRejected(input);

    [Fact]
    public void EverySpellingOfOneNumberIsTheSameValue()
    {
        var spellings = new[] { "811218-9876", "8112189876", "198112189876", "19811218-9876" }.Select(Parse).ToList();

        Assert.All(spellings, number => Assert.Equal(spellings[0], number));
    }

    [Theory]
    [InlineData("811218-9876", "SwedishIdentityNumber(PersonalIdentityNumber)")]
    [InlineData("701063-2391", "SwedishIdentityNumber(CoordinationNumber)")]
    [InlineData("556036-0793", "SwedishIdentityNumber(OrganisationNumber)")]
    public void ToStringNamesTheKindButNeverTheDigits(string input, string expected)
    {
        var number = Parse(input);

        Assert.Equal(expected, number.ToString());
        Assert.Equal(expected, $"{number}");
        Assert.DoesNotMatch("[0-9]", number.ToString());
    }

    [Fact]
    public void TheKeyedHashIsHmacSha256OfTheNormalizedFormInLowercaseHex()
    {
        // Pinned: stored hashes must keep matching, so the algorithm and encoding may never drift.
        Assert.Equal(
            "460895edd2134da103ce9ded345d8bc1590a98391a5d5d336bc7cd56fc73fc94",
            SwedishIdentityNumber.KeyedHash("198112189876", "key-one"u8));
    }

    [Fact]
    public void TheKeyedHashIsStableAndEqualForEverySpelling()
    {
        var key = "key-one"u8;

        var first = SwedishIdentityNumber.KeyedHash(Parse("811218-9876").Normalized, key);
        var second = SwedishIdentityNumber.KeyedHash(Parse("19811218-9876").Normalized, key);

        Assert.Equal(first, second);
        Assert.Matches("^[0-9a-f]{64}$", first);
    }

    [Fact]
    public void TheKeyedHashDiffersForDifferentKeysAndNumbers()
    {
        var withOne = SwedishIdentityNumber.KeyedHash("198112189876", "key-one"u8);
        var withTwo = SwedishIdentityNumber.KeyedHash("198112189876", "key-two"u8);
        var otherNumber = SwedishIdentityNumber.KeyedHash("196408233234", "key-one"u8);

        Assert.Equal("a54683e1ae39b6eaed286bdc7bc88b8938f5ecb2d82e04e0a8491cb580480b4f", withTwo);
        Assert.NotEqual(withOne, withTwo);
        Assert.NotEqual(withOne, otherNumber);
    }

    [Theory]
    [InlineData("811218-9876")]
    [InlineData("8112189876")]
    [InlineData("19811218-9876")]
    [InlineData("1981121898761")]
    [InlineData("")]
    public void TheKeyedHashRefusesAnythingButTheNormalizedForm(string notNormalized)
    {
        var error = Assert.Throws<ArgumentException>(() => SwedishIdentityNumber.KeyedHash(notNormalized, "key-one"u8));

        if (notNormalized.Length > 0)
        {
            Assert.DoesNotContain(notNormalized, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheKeyedHashRefusesAnEmptyKey() =>
        Assert.Throws<ArgumentException>(() => SwedishIdentityNumber.KeyedHash("198112189876", ReadOnlySpan<byte>.Empty));

    [Fact]
    public void TheDefaultValueHasNoNumber() =>
        Assert.Throws<InvalidOperationException>(() => default(SwedishIdentityNumber).Normalized);

    private static SwedishIdentityNumber Parse(string input)
    {
        Assert.True(SwedishIdentityNumber.TryParse(input, Today, out var number), $"expected {input} to parse");
        return number;
    }

    private static void AssertRejected(string? input)
    {
        Assert.False(SwedishIdentityNumber.TryParse(input, Today, out var number));
        Assert.Equal(default, number);
    }

    private static DateOnly Date(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
