using System.Globalization;

namespace Privacy.Api.Retention;

/// <summary>
/// A retention rule in plain words for a person (Art 12(1), Art 15(1)(d)), in Swedish or English, from its period, what starts
/// it and what happens at its end: <c>P3Y</c> from the end of the relationship, erased, reads "Tre år efter att
/// kundförhållandet upphört, därefter raderas uppgifterna." No ISO period or enum name ever reaches the reader.
/// </summary>
public static class RetentionWording
{
    public static string Describe(string period, RetentionTrigger trigger, RetentionAction action, string language)
    {
        var sv = language == "sv";
        var (after, until) = Event(trigger, sv);
        var length = IsoPeriod.TryParse(period, out var parsed) ? Length(parsed.Value, sv) : null;
        var when = length switch
        {
            null => sv ? "Så länge det behövs för ändamålet" : "As long as the purpose needs it", // periods are validated: not expected
            "" => sv ? $"Tills {until}" : $"Until {until}",
            _ => sv ? $"{length} efter {after}" : $"{length} after {after}",
        };
        var end = (action, sv) switch
        {
            (RetentionAction.Anonymise, true) => "därefter avidentifieras uppgifterna",
            (RetentionAction.Anonymise, false) => "then the data is anonymised",
            (_, true) => "därefter raderas uppgifterna",
            (_, false) => "then the data is erased",
        };
        return char.ToUpper(when[0], CultureInfo.InvariantCulture) + when[1..] + ", " + end + ".";
    }

    /// <summary>What starts the clock: after-phrase ("N years after …") and until-clause ("until …").</summary>
    private static (string After, string Until) Event(RetentionTrigger trigger, bool sv) => (trigger, sv) switch
    {
        (RetentionTrigger.Collected, true) => ("att uppgifterna samlades in", "uppgifterna har samlats in"),
        (RetentionTrigger.Collected, false) => ("the data was collected", "the data has been collected"),
        (RetentionTrigger.LastActivity, true) => ("din senaste aktivitet hos oss", "du inte längre är aktiv hos oss"),
        (RetentionTrigger.LastActivity, false) => ("your last activity with us", "you are no longer active with us"),
        (RetentionTrigger.RelationshipEnded, true) => ("att kundförhållandet upphört", "kundförhållandet upphör"),
        (RetentionTrigger.RelationshipEnded, false) => ("the customer relationship ended", "the customer relationship ends"),
        (RetentionTrigger.Completed, true) => ("att ärendet avslutats", "ärendet är avslutat"),
        (RetentionTrigger.Completed, false) => ("the case was closed", "the case is closed"),
        (RetentionTrigger.EndOfTransactionYear, true) => ("utgången av det kalenderår då transaktionen gjordes",
            "det kalenderår då transaktionen gjordes har gått ut"),
        (RetentionTrigger.EndOfTransactionYear, false) => ("the end of the calendar year in which the transaction took place",
            "the calendar year in which the transaction took place has ended"),
        (RetentionTrigger.ConsentWithdrawn, true) => ("att du återkallat ditt samtycke", "du återkallar ditt samtycke"),
        (RetentionTrigger.ConsentWithdrawn, false) => ("you withdrew your consent", "you withdraw your consent"),
        (_, true) => ("att ditt samtycke upphört", "du återkallar ditt samtycke eller det upphör att gälla"),
        (_, false) => ("your consent ended", "you withdraw your consent or it expires"),
    };

    /// <summary>"två år och sex månader", "thirteen months", "30 days"; empty for a zero period.</summary>
    private static string Length(IsoPeriod period, bool sv)
    {
        var parts = new List<string>();
        // Whole years as years; under two years otherwise as months ("tretton månader"); else years and months.
        var (years, months) = period.Months % 12 == 0 ? (period.Months / 12, 0)
            : period.Months < 24 ? (0, period.Months)
            : (period.Months / 12, period.Months % 12);
        Add(parts, years, sv ? ("år", "år", true) : ("year", "years", true), sv);
        Add(parts, months, sv ? ("månad", "månader", false) : ("month", "months", false), sv);
        Add(parts, period.Days, sv ? ("dag", "dagar", false) : ("day", "days", false), sv);
        Add(parts, (int)period.Time.TotalHours, sv ? ("timme", "timmar", false) : ("hour", "hours", false), sv);
        Add(parts, period.Time.Minutes, sv ? ("minut", "minuter", false) : ("minute", "minutes", false), sv);
        Add(parts, period.Time.Seconds, sv ? ("sekund", "sekunder", false) : ("second", "seconds", false), sv);
        return parts.Count switch
        {
            0 => "",
            1 => parts[0],
            _ => string.Join(", ", parts[..^1]) + (sv ? " och " : " and ") + parts[^1],
        };
    }

    private static void Add(List<string> parts, int count, (string One, string Many, bool Neuter) unit, bool sv)
    {
        if (count > 0)
        {
            parts.Add($"{Number(count, unit.Neuter, sv)} {(count == 1 ? unit.One : unit.Many)}");
        }
    }

    private static readonly string[] SwedishNumbers =
        ["", "en", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv", "tretton", "fjorton", "femton", "sexton", "sjutton", "arton", "nitton", "tjugo"];

    private static readonly string[] EnglishNumbers =
        ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
         "seventeen", "eighteen", "nineteen", "twenty"];

    // Words up to twenty, as a text is written; digits above (e.g. "30 dagar").
    private static string Number(int n, bool neuter, bool sv) => n > 20
        ? n.ToString(CultureInfo.InvariantCulture)
        : sv ? (n == 1 && neuter ? "ett" : SwedishNumbers[n]) : EnglishNumbers[n];
}
