using System.Globalization;
using Privacy.Api.Requests;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// The periods rule alone (Regulation 1182/71 Art 3 in Swedish days, Art 12(3)); the expected dates were worked out by hand and
/// checked against an independent implementation (Python's zoneinfo and dateutil.easter).
/// </summary>
public sealed class RequestDeadlineRuleTests
{
    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static DateOnly Day(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Theory]
    // The two examples: 28 February 2026 is a Saturday; 2028 is a leap year and 29 February a Tuesday.
    [InlineData("2026-01-31T10:00:00Z", "2026-03-02", "2026-03-02T23:00:00Z")]
    [InlineData("2028-01-31T10:00:00Z", "2028-02-29", "2028-02-29T23:00:00Z")]
    // Month ends: no 29, 30 or 31 in the last month → its last day, then off the weekend.
    [InlineData("2027-01-31T10:00:00Z", "2027-03-01", "2027-03-01T23:00:00Z")] // 28 Feb 2027 a Sunday
    [InlineData("2027-01-29T10:00:00Z", "2027-03-01", "2027-03-01T23:00:00Z")]
    [InlineData("2026-01-29T10:00:00Z", "2026-03-02", "2026-03-02T23:00:00Z")]
    [InlineData("2028-01-30T10:00:00Z", "2028-02-29", "2028-02-29T23:00:00Z")]
    [InlineData("2028-02-29T10:00:00Z", "2028-03-29", "2028-03-29T22:00:00Z")] // from a leap day: the 29th, in summer time
    [InlineData("2026-03-31T10:00:00Z", "2026-04-30", "2026-04-30T22:00:00Z")] // no 31 April; valborgsmässoafton is a working day
    [InlineData("2026-05-31T10:00:00Z", "2026-06-30", "2026-06-30T22:00:00Z")] // no 31 June
    [InlineData("2026-08-31T10:00:00Z", "2026-09-30", "2026-09-30T22:00:00Z")] // no 31 September
    [InlineData("2026-07-31T10:00:00Z", "2026-08-31", "2026-08-31T22:00:00Z")] // 31 to 31
    [InlineData("2026-04-30T10:00:00Z", "2026-06-01", "2026-06-01T22:00:00Z")] // 30 May a Saturday
    [InlineData("2026-12-15T10:00:00Z", "2027-01-15", "2027-01-15T23:00:00Z")] // across the year
    // Easter 2026 (5 April): skärtorsdagen works; långfredagen to annandag påsk do not.
    [InlineData("2026-03-02T10:00:00Z", "2026-04-02", "2026-04-02T22:00:00Z")]
    [InlineData("2026-03-03T10:00:00Z", "2026-04-07", "2026-04-07T22:00:00Z")]
    [InlineData("2026-03-06T10:00:00Z", "2026-04-07", "2026-04-07T22:00:00Z")]
    // Easter 2027 (28 March, the day summer time starts): långfredagen and påskdagen → Tuesday 30 March.
    [InlineData("2027-02-26T10:00:00Z", "2027-03-30", "2027-03-30T22:00:00Z")]
    [InlineData("2027-02-28T10:00:00Z", "2027-03-30", "2027-03-30T22:00:00Z")]
    // Första maj, Kristi himmelsfärdsdag (Easter + 39), pingstdagen (a Sunday; annandag pingst is no holiday since 2005), nationaldagen.
    [InlineData("2026-04-01T10:00:00Z", "2026-05-04", "2026-05-04T22:00:00Z")]
    [InlineData("2026-04-14T10:00:00Z", "2026-05-15", "2026-05-15T22:00:00Z")]
    [InlineData("2026-04-24T10:00:00Z", "2026-05-25", "2026-05-25T22:00:00Z")]
    [InlineData("2028-05-06T10:00:00Z", "2028-06-07", "2028-06-07T22:00:00Z")]
    // Midsommarafton (Lag 1930:173) and midsommardagen.
    [InlineData("2026-05-19T10:00:00Z", "2026-06-22", "2026-06-22T22:00:00Z")]
    [InlineData("2027-05-25T10:00:00Z", "2027-06-28", "2027-06-28T22:00:00Z")]
    // Julafton, juldagen, nyårsafton, nyårsdagen, trettondedag jul.
    [InlineData("2026-11-24T10:00:00Z", "2026-12-28", "2026-12-28T23:00:00Z")]
    [InlineData("2027-11-24T10:00:00Z", "2027-12-27", "2027-12-27T23:00:00Z")]
    [InlineData("2026-11-30T10:00:00Z", "2026-12-30", "2026-12-30T23:00:00Z")]
    [InlineData("2026-12-01T10:00:00Z", "2027-01-04", "2027-01-04T23:00:00Z")]
    [InlineData("2026-12-06T10:00:00Z", "2027-01-07", "2027-01-07T23:00:00Z")]
    // The Swedish day of receipt, not the UTC one: late evening and just past midnight in Stockholm, in winter and summer time.
    [InlineData("2026-09-14T21:59:00Z", "2026-10-14", "2026-10-14T22:00:00Z")] // 23:59 on 14 September in Stockholm
    [InlineData("2026-09-14T22:00:00Z", "2026-10-15", "2026-10-15T22:00:00Z")] // 00:00 on 15 September
    [InlineData("2026-11-09T22:59:00Z", "2026-12-09", "2026-12-09T23:00:00Z")] // 23:59 on 9 November
    [InlineData("2026-11-09T23:00:00Z", "2026-12-10", "2026-12-10T23:00:00Z")] // 00:00 on 10 November
    [InlineData("2026-11-10T00:30:00+01:00", "2026-12-10", "2026-12-10T23:00:00Z")]
    [InlineData("2026-11-09T18:30:00-05:00", "2026-12-10", "2026-12-10T23:00:00Z")] // the sender's own date is not Sweden's
    // Days the clocks change: received on them, and ends either side of them (the end instant follows the offset of its day).
    [InlineData("2026-03-28T23:30:00Z", "2026-04-29", "2026-04-29T22:00:00Z")] // 00:30 CET on 29 March, the spring change
    [InlineData("2026-10-24T22:30:00Z", "2026-11-25", "2026-11-25T23:00:00Z")] // 00:30 CEST on 25 October, the autumn change
    [InlineData("2026-02-27T10:00:00Z", "2026-03-27", "2026-03-27T23:00:00Z")]
    [InlineData("2026-02-28T10:00:00Z", "2026-03-30", "2026-03-30T22:00:00Z")]
    [InlineData("2026-09-30T10:00:00Z", "2026-10-30", "2026-10-30T23:00:00Z")]
    public void ARequestIsDueAtTheEndOfTheSwedishWorkingDayOneMonthAfterTheDayOfReceipt(string received, string dueDate, string dueAt)
    {
        Assert.Equal(Day(dueDate), RequestDeadlines.DueDate(Instant(received)));
        Assert.Equal(Instant(dueAt), RequestDeadlines.DueAt(Instant(received)));
        Assert.Equal(TimeSpan.Zero, RequestDeadlines.DueAt(Instant(received)).Offset); // stored as UTC (timestamptz)
        Assert.Equal(Day(dueDate), RequestDeadlines.DayEndedBy(Instant(dueAt)));
    }

    [Theory]
    // 1 + months from the day of receipt: 31 January + 3 → 30 April (not 28 February + 2 → 28 April).
    [InlineData("2026-01-31T10:00:00Z", 2, "2026-04-30")]
    [InlineData("2026-01-31T10:00:00Z", 1, "2026-03-31")]
    [InlineData("2027-01-31T10:00:00Z", 2, "2027-04-30")]
    // Not from the moved first deadline: 28 January → 2 March (moved), but + 3 months from receipt → 28 April.
    [InlineData("2026-01-28T10:00:00Z", 2, "2026-04-28")]
    [InlineData("2026-03-01T10:00:00Z", 2, "2026-06-01")]
    [InlineData("2026-03-31T10:00:00Z", 2, "2026-06-30")]
    [InlineData("2026-01-03T10:00:00Z", 1, "2026-03-03")]
    [InlineData("2026-02-03T10:00:00Z", 2, "2026-05-04")] // 3 May a Sunday
    public void AnExtendedPeriodRunsOneAndTheFurtherMonthsFromTheDayOfReceiptWithTheSameRules(string received, int months, string dueDate)
    {
        Assert.Equal(Day(dueDate), RequestDeadlines.ExtendedDueDate(Instant(received), months));
        Assert.Equal(RequestDeadlines.EndOf(Day(dueDate)), RequestDeadlines.ExtendedDueAt(Instant(received), months));
    }

    [Theory]
    [InlineData(1961, "1961-04-02")]
    [InlineData(2011, "2011-04-24")] // the latest possible is 25 April
    [InlineData(2019, "2019-04-21")]
    [InlineData(2024, "2024-03-31")]
    [InlineData(2025, "2025-04-20")]
    [InlineData(2026, "2026-04-05")]
    [InlineData(2027, "2027-03-28")]
    [InlineData(2028, "2028-04-16")]
    [InlineData(2029, "2029-04-01")]
    [InlineData(2038, "2038-04-25")]
    [InlineData(2285, "2285-03-22")] // the earliest possible
    public void EasterSundayFollowsTheGregorianComputus(int year, string easter) =>
        Assert.Equal(Day(easter), RequestDeadlines.EasterSunday(year));

    [Theory]
    [InlineData("2026-01-01", false)] // nyårsdagen
    [InlineData("2026-01-05", true)] // trettondagsafton: a working day
    [InlineData("2026-01-06", false)] // trettondedag jul
    [InlineData("2026-04-02", true)] // skärtorsdagen
    [InlineData("2026-04-03", false)] // långfredagen
    [InlineData("2026-04-06", false)] // annandag påsk
    [InlineData("2026-04-30", true)] // valborgsmässoafton
    [InlineData("2026-05-01", false)] // första maj
    [InlineData("2026-05-14", false)] // Kristi himmelsfärdsdag
    [InlineData("2026-05-25", true)] // annandag pingst: no holiday since 2005
    [InlineData("2028-06-06", false)] // nationaldagen on a Tuesday
    [InlineData("2026-06-19", false)] // midsommarafton
    [InlineData("2027-06-25", false)] // midsommarafton
    [InlineData("2026-06-26", true)] // a Friday in midsummer week, not the eve
    [InlineData("2026-10-30", true)] // the Friday before alla helgons dag
    [InlineData("2026-12-23", true)]
    [InlineData("2026-12-24", false)] // julafton
    [InlineData("2026-12-25", false)] // juldagen
    [InlineData("2027-12-27", true)] // the Monday after annandag jul on a Sunday
    [InlineData("2026-12-31", false)] // nyårsafton
    [InlineData("2026-03-07", false)] // a Saturday
    [InlineData("2026-03-08", false)] // a Sunday
    [InlineData("2026-03-09", true)]
    public void WorkingDaysAreWeekdaysThatAreNeitherPublicHolidaysNorMidsummerChristmasOrNewYearsEve(string day, bool working) =>
        Assert.Equal(working, RequestDeadlines.IsWorkingDay(Day(day)));

    [Theory]
    [InlineData("2026-06-20", true)] // midsommardagen: the Saturday 20–26 June
    [InlineData("2027-06-26", true)]
    [InlineData("2026-06-27", false)]
    [InlineData("2026-10-31", true)] // alla helgons dag: the Saturday 31 October–6 November
    [InlineData("2027-11-06", true)]
    [InlineData("2026-11-07", false)]
    [InlineData("2026-06-06", true)] // nationaldagen on a Saturday
    [InlineData("2026-05-24", true)] // pingstdagen
    [InlineData("2026-04-05", true)] // påskdagen
    [InlineData("2026-12-26", true)] // annandag jul
    [InlineData("2026-12-24", false)] // julafton is no allmän helgdag (Lag 1989:253), only a day deadlines move off
    [InlineData("2026-06-19", false)]
    public void PublicHolidaysAreThoseOfTheHolidaysAct(string day, bool holiday) =>
        Assert.Equal(holiday, RequestDeadlines.IsPublicHoliday(Day(day)));

    [Theory]
    [InlineData("2026-03-28", "2026-03-28T23:00:00Z")] // ends at 00:00 CET on the day the clocks go forward
    [InlineData("2026-03-29", "2026-03-29T22:00:00Z")] // the day of the change is 23 hours long
    [InlineData("2026-10-24", "2026-10-24T22:00:00Z")]
    [InlineData("2026-10-25", "2026-10-25T23:00:00Z")] // and this one 25
    [InlineData("2026-12-31", "2026-12-31T23:00:00Z")]
    public void ADayEndsAtMidnightStockholmTimeWhateverTheOffset(string day, string end)
    {
        Assert.Equal(Instant(end), RequestDeadlines.EndOf(Day(day)));
        Assert.Equal(Day(day), RequestDeadlines.DayEndedBy(Instant(end)));
        Assert.Equal(Day(day), RequestDeadlines.SwedishDay(Instant(end).AddTicks(-1)));
        Assert.Equal(Day(day).AddDays(1), RequestDeadlines.SwedishDay(Instant(end)));
    }
}
