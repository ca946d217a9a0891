using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Privacy.Api.Retention;

/// <summary>
/// An ISO 8601 duration of calendar parts (<c>P7Y</c>, <c>P12M</c>, <c>P2Y6M</c>, <c>P30D</c>, <c>P2W</c>, <c>PT12H</c>), added
/// in UTC: months first (a year is twelve months), then days, then time. A period of months that would end on a day the
/// month does not have (31 January + P1M) ends when that month ends, at midnight into 1 March, as Swedish law counts months
/// (lag (1930:173) om beräkning av lagstadgad tid). That keeps the end never earlier than the calendar says, and makes it a
/// non-decreasing function of the start, which the stores' sweep relies on (<see cref="LatestStartEndedBy"/>).
/// </summary>
public readonly partial record struct IsoPeriod(int Months, int Days, TimeSpan Time)
{
    public static IsoPeriod Zero => default;

    public static bool TryParse(string? text, [NotNullWhen(true)] out IsoPeriod? period)
    {
        period = null;
        var match = text is null ? Match.Empty : Pattern().Match(text);
        if (!match.Success || text == "P" || text!.EndsWith('T'))
        {
            return false;
        }

        int Part(string name) => match.Groups[name].Success ? int.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var (years, months, weeks, days, hours, minutes, seconds) = (Part("y"), Part("mo"), Part("w"), Part("d"), Part("h"), Part("mi"), Part("s"));
        if (years > 100 || months > 1200 || weeks > 5300 || days > 36600 || hours > 876000 || minutes > 52_560_000 || seconds > 315_360_000)
        {
            return false; // longer than a century: surely a typing error
        }

        period = new IsoPeriod(years * 12 + months, weeks * 7 + days, new TimeSpan(hours, minutes, seconds));
        return true;
    }

    public static IsoPeriod Parse(string text) =>
        TryParse(text, out var period) ? period.Value : throw new FormatException($"'{text}' is not an ISO 8601 duration.");

    /// <summary>When something that started at <paramref name="start"/> ends.</summary>
    public DateTimeOffset AddTo(DateTimeOffset start)
    {
        var utc = start.ToUniversalTime();
        var months = utc.AddMonths(Months);
        if (months.Day < utc.Day)
        {
            months = new DateTimeOffset(months.Year, months.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1); // the month ended
        }

        return months.AddDays(Days).Add(Time);
    }

    /// <summary>The latest start whose period has run out at <paramref name="now"/>: a clock started at s has run out exactly when s ≤ this.</summary>
    public DateTimeOffset LatestStartEndedBy(DateTimeOffset now) => LatestStart(AddTo, now);

    /// <summary>
    /// The latest s with <paramref name="end"/>(s) ≤ <paramref name="now"/>, for a non-decreasing <paramref name="end"/> with
    /// end(s) ≥ s. Adding months cannot be undone by subtracting them (29, 30 and 31 January + P1M all end on 1 March 2027),
    /// so the boundary is found by bisection, to the tick: a store's SQL then selects exactly the rows whose clock started
    /// at or before it, the same rows <see cref="AddTo"/> says have run out.
    /// </summary>
    public static DateTimeOffset LatestStart(Func<DateTimeOffset, DateTimeOffset> end, DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        long low = utc.AddYears(-200).UtcTicks, high = utc.UtcTicks; // periods are at most a century (TryParse)
        if (end(utc) <= utc)
        {
            return utc;
        }

        while (high - low > 1)
        {
            var mid = low + ((high - low) / 2);
            if (end(new DateTimeOffset(mid, TimeSpan.Zero)) <= utc)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        return new DateTimeOffset(low, TimeSpan.Zero);
    }

    public override string ToString()
    {
        if (Months == 0 && Days == 0 && Time == TimeSpan.Zero)
        {
            return "P0D";
        }

        var text = "P" + (Months / 12 > 0 ? $"{Months / 12}Y" : "") + (Months % 12 > 0 ? $"{Months % 12}M" : "") + (Days > 0 ? $"{Days}D" : "");
        if (Time > TimeSpan.Zero)
        {
            text += "T" + ((int)Time.TotalHours > 0 ? $"{(int)Time.TotalHours}H" : "") + (Time.Minutes > 0 ? $"{Time.Minutes}M" : "") +
                    (Time.Seconds > 0 ? $"{Time.Seconds}S" : "");
        }

        return text;
    }

    [GeneratedRegex(@"^P(?:(?<y>\d{1,4})Y)?(?:(?<mo>\d{1,4})M)?(?:(?<w>\d{1,4})W)?(?:(?<d>\d{1,5})D)?(?:T(?:(?<h>\d{1,6})H)?(?:(?<mi>\d{1,8})M)?(?:(?<s>\d{1,9})S)?)?$",
        RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Pattern();
}
