namespace Privacy.Api.Requests;

/// <summary>
/// The one rule for a rights request's deadlines (Art 12(3)), counted as Regulation (EEC, Euratom) No 1182/71, Art 3 has it,
/// which the EDPB applies to Art 12(3), in Swedish calendar days:
/// <list type="bullet">
/// <item>days are Europe/Stockholm days, so a letter received at 00:30 in Stockholm (22:30 UTC the day before) was received that
/// Swedish day, and that day does not count (Art 3(1));</item>
/// <item>a period of months ends at the end of the day in the last month with the same date as the day of receipt, or of that
/// month's last day when it has no such date (Art 3(2)(c)): 31 January + 1 month → 28 (29) February;</item>
/// <item>when that day is a Saturday, Sunday or public holiday, the period ends at the end of the next working day (Art 3(4)).
/// Public holidays are Sweden's (Lag (1989:253) om allmänna helgdagar); midsommarafton, julafton and nyårsafton count as
/// holidays too, as Swedish practice has it (Lag (1930:173) om beräkning av lagstadgad tid).</item>
/// </list>
/// A deadline is a Swedish date (<see cref="DateOnly"/>); it is stored as the instant it ends (<see cref="EndOf"/>: 00:00 in
/// Stockholm of the next day, in UTC), so "overdue" stays one comparison everywhere: <c>due_at &lt; now</c>.
/// </summary>
public static class RequestDeadlines
{
    /// <summary>Sweden's time zone (tzdata's Europe/Stockholm): CET, CEST in summer.</summary>
    public static readonly TimeZoneInfo Stockholm = TimeZoneInfo.FindSystemTimeZoneById("Europe/Stockholm");

    /// <summary>Art 12(3): due one month after receipt.</summary>
    public static DateOnly DueDate(DateTimeOffset receivedAt) => PeriodEnd(receivedAt, 1);

    /// <summary>
    /// Art 12(3): "may be extended by two further months". Read as the EDPB reads it (at most three months in all from
    /// receipt): one period of 1 + <paramref name="months"/> months counted from the day of receipt, then moved off a
    /// non-working day like any period. Not from the first deadline: from the moved one the extension would grow by the days
    /// it was moved, from the unmoved one it would lose the days February lacks (28 February + 2 → 28 April); from receipt,
    /// 31 January + 3 months → 30 April, the end of the third month.
    /// </summary>
    public static DateOnly ExtendedDueDate(DateTimeOffset receivedAt, int months) => PeriodEnd(receivedAt, 1 + Math.Clamp(months, 1, 2));

    /// <summary>The instant the month from receipt ends, as stored (<see cref="RightsRequest.DueAt"/>).</summary>
    public static DateTimeOffset DueAt(DateTimeOffset receivedAt) => EndOf(DueDate(receivedAt));

    /// <summary>The instant the extended period ends, as stored (<see cref="RightsRequest.ExtendedDueAt"/>).</summary>
    public static DateTimeOffset ExtendedDueAt(DateTimeOffset receivedAt, int months) => EndOf(ExtendedDueDate(receivedAt, months));

    /// <summary>The instant <paramref name="day"/> ends in Sweden (00:00 Europe/Stockholm of the next day), in UTC: the stored deadline.</summary>
    public static DateTimeOffset EndOf(DateOnly day)
    {
        // Sweden changes its clocks at 02:00/03:00, never at midnight: 00:00 always exists, once.
        var midnight = day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(midnight, Stockholm), TimeSpan.Zero);
    }

    /// <summary>The Swedish day a stored deadline closes: the day of the last moment before <paramref name="end"/>.</summary>
    public static DateOnly DayEndedBy(DateTimeOffset end) => SwedishDay(end.AddTicks(-1));

    /// <summary>The date in Sweden at <paramref name="instant"/>.</summary>
    public static DateOnly SwedishDay(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Stockholm).DateTime);

    /// <summary>Not a Saturday, Sunday, public holiday, midsommarafton, julafton or nyårsafton.</summary>
    public static bool IsWorkingDay(DateOnly day) =>
        day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !IsPublicHoliday(day)
        && !IsMidsummerEve(day) && (day.Month, day.Day) is not ((12, 24) or (12, 31));

    /// <summary>Sweden's public holidays (allmänna helgdagar, Lag (1989:253) 1 §, as it stands since 2005).</summary>
    public static bool IsPublicHoliday(DateOnly day)
    {
        if ((day.Month, day.Day) is (1, 1) or (1, 6) or (5, 1) or (6, 6) or (12, 25) or (12, 26))
        {
            return true; // nyårsdagen, trettondedag jul, första maj, nationaldagen, juldagen, annandag jul
        }

        var easter = EasterSunday(day.Year);
        var fromEaster = day.DayNumber - easter.DayNumber;
        if (fromEaster is -2 or 0 or 1 or 39 or 49)
        {
            return true; // långfredagen, påskdagen, annandag påsk, Kristi himmelsfärdsdag, pingstdagen
        }

        // midsommardagen: the Saturday 20–26 June; alla helgons dag: the Saturday 31 October–6 November.
        return day.DayOfWeek == DayOfWeek.Saturday
               && ((day.Month == 6 && day.Day is >= 20 and <= 26) || (day.Month == 10 && day.Day == 31) || (day.Month == 11 && day.Day <= 6));
    }

    /// <summary>Easter Sunday of the Gregorian calendar (the anonymous computus, as Meeus gives it).</summary>
    public static DateOnly EasterSunday(int year)
    {
        var a = year % 19;
        var b = year / 100;
        var c = year % 100;
        var d = b / 4;
        var e = b % 4;
        var f = (b + 8) / 25;
        var g = (b - f + 1) / 3;
        var h = ((19 * a) + b - d - g + 15) % 30;
        var i = c / 4;
        var k = c % 4;
        var l = (32 + (2 * e) + (2 * i) - h - k) % 7;
        var m = (a + (11 * h) + (22 * l)) / 451;
        var month = (h + l - (7 * m) + 114) / 31;
        var dayOfMonth = ((h + l - (7 * m) + 114) % 31) + 1;
        return new DateOnly(year, month, dayOfMonth);
    }

    /// <summary>midsommarafton: the Friday 19–25 June, the eve of midsommardagen.</summary>
    private static bool IsMidsummerEve(DateOnly day) => day.DayOfWeek == DayOfWeek.Friday && day.Month == 6 && day.Day is >= 19 and <= 25;

    /// <summary>1182/71 Art 3(2)(c) and 3(4): <paramref name="months"/> months from the Swedish day of receipt, moved off non-working days.</summary>
    private static DateOnly PeriodEnd(DateTimeOffset receivedAt, int months)
    {
        // DateOnly.AddMonths keeps the day of the month, or takes the month's last day when it has no such date.
        var end = SwedishDay(receivedAt).AddMonths(months);
        while (!IsWorkingDay(end))
        {
            end = end.AddDays(1);
        }

        return end;
    }
}
