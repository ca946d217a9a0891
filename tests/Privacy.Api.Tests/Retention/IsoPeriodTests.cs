using Privacy.Api.Retention;

namespace Privacy.Api.Tests.Retention;

public sealed class IsoPeriodTests
{
    private static DateTimeOffset Utc(int y, int m, int d, int h = 0) => new(y, m, d, h, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("P7Y", 84, 0, 0)]
    [InlineData("P12M", 12, 0, 0)]
    [InlineData("P1Y6M", 18, 0, 0)]
    [InlineData("P2W", 0, 14, 0)]
    [InlineData("P30D", 0, 30, 0)]
    [InlineData("P0D", 0, 0, 0)]
    [InlineData("PT36H", 0, 0, 36)]
    public void ParsesCalendarParts(string text, int months, int days, int hours)
    {
        Assert.True(IsoPeriod.TryParse(text, out var period));
        Assert.Equal(new IsoPeriod(months, days, TimeSpan.FromHours(hours)), period);
    }

    [Theory]
    [InlineData("")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("7Y")]
    [InlineData("P-1Y")]
    [InlineData("P1.5Y")]
    [InlineData("P101Y")]
    [InlineData("P1Y2")]
    [InlineData("p1y")]
    public void RefusesWhatIsNotADurationOfAtMostACentury(string text) => Assert.False(IsoPeriod.TryParse(text, out _));

    [Fact]
    public void AMonthThatHasNoSuchDayEndsWithTheMonthAndYearsAreTwelveMonths()
    {
        Assert.Equal(Utc(2027, 2, 28, 12), IsoPeriod.Parse("P1M").AddTo(Utc(2027, 1, 28, 12)));
        Assert.Equal(Utc(2027, 3, 1), IsoPeriod.Parse("P1M").AddTo(Utc(2027, 1, 29, 12)));
        Assert.Equal(Utc(2027, 3, 1), IsoPeriod.Parse("P1M").AddTo(Utc(2027, 1, 31)));
        Assert.Equal(Utc(2028, 2, 29, 23), IsoPeriod.Parse("P1M").AddTo(Utc(2028, 1, 29, 23)));
        Assert.Equal(Utc(2029, 3, 1), IsoPeriod.Parse("P1Y").AddTo(Utc(2028, 2, 29)));
        // Thirteen months at once: not a year (which would clamp) and then a month.
        Assert.Equal(Utc(2029, 3, 29), IsoPeriod.Parse("P1Y1M").AddTo(Utc(2028, 2, 29)));
        Assert.Equal(Utc(2034, 1, 1), IsoPeriod.Parse("P7Y").AddTo(Utc(2027, 1, 1)));
        Assert.Equal(Utc(2027, 3, 3), IsoPeriod.Parse("P1M2D").AddTo(Utc(2027, 1, 31)));
    }

    [Fact]
    public void TheEndNeverGoesBackAsTheStartMovesOn()
    {
        var period = IsoPeriod.Parse("P1M");
        var previous = DateTimeOffset.MinValue;
        for (var start = Utc(2027, 1, 25); start < Utc(2027, 3, 5); start = start.AddMinutes(37))
        {
            var end = period.AddTo(start);
            Assert.True(end >= previous, $"{start:O} ends {end:O}, before {previous:O}");
            previous = end;
        }
    }

    [Fact]
    public void TheLatestStartEndedByIsExactlyTheBoundary()
    {
        var now = Utc(2027, 2, 28, 12);
        foreach (var text in new[] { "P1M", "P12M", "P1Y1M", "P30D", "P0D", "PT1H" })
        {
            var period = IsoPeriod.Parse(text);
            var latest = period.LatestStartEndedBy(now);
            Assert.True(period.AddTo(latest) <= now, text);
            Assert.True(period.AddTo(latest.AddTicks(1)) > now, text);
        }

        // 28 January, noon + P1M ends at noon on 28 February; 29–31 January only when February ends.
        Assert.Equal(Utc(2027, 1, 28, 12), IsoPeriod.Parse("P1M").LatestStartEndedBy(now));
        Assert.Equal(Utc(2027, 2, 1), IsoPeriod.Parse("P1M").LatestStartEndedBy(Utc(2027, 3, 1)));
    }
}
