using System.Buffers;
using System.Text;

namespace Privacy.Api.Platform.Csv;

/// <summary>
/// CSV cells as RFC 4180 has them (a cell with a comma, a quote or a line break is quoted, its quotes doubled), guarded against
/// formula injection (OWASP "CSV injection"): a text cell a spreadsheet would run as a formula, one starting with = + - @, a tab
/// or a carriage return, gets a leading apostrophe, which the spreadsheet shows as text. The cell then reads with the apostrophe
/// elsewhere too: the JSON forms of the same data carry the value as it is.
/// </summary>
public static class CsvCell
{
    public static bool StartsFormula(ReadOnlySpan<char> cell) => cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r';

    public static string Escape(string cell)
    {
        if (StartsFormula(cell))
        {
            cell = "'" + cell;
        }

        return cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;
    }
}

/// <summary>
/// Writes CSV rows (UTF-8, CRLF line ends) straight into <paramref name="output"/> (a response's <c>PipeWriter</c>): nothing is
/// kept but the row being written. Text goes through <see cref="CsvCell"/>; values of a fixed form (ids, hex hashes, instants,
/// booleans, addresses) that can hold none of its characters are written as they are.
/// </summary>
public sealed class CsvWriter(IBufferWriter<byte> output)
{
    private bool _rowStarted;

    /// <summary>A text cell; null and empty both write an empty cell.</summary>
    public void Text(string? cell)
    {
        Separator();
        if (string.IsNullOrEmpty(cell))
        {
            return;
        }

        // Most cells need neither guard nor quotes: encode them as they are, without a copy.
        var escaped = CsvCell.StartsFormula(cell) || cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? CsvCell.Escape(cell) : cell;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(escaped.Length));
        output.Advance(Encoding.UTF8.GetBytes(escaped, span));
    }

    /// <summary>A cell of a fixed form, already UTF-8 (e.g. <c>"true"u8</c>), that holds no comma, quote, line break or formula start.</summary>
    public void Plain(ReadOnlySpan<byte> cell)
    {
        Separator();
        cell.CopyTo(output.GetSpan(cell.Length));
        output.Advance(cell.Length);
    }

    /// <summary>A cell of a fixed form written by <see cref="IUtf8SpanFormattable"/> (a UUID, an instant in a fixed format).</summary>
    public void Plain<T>(T value, ReadOnlySpan<char> format = default) where T : IUtf8SpanFormattable
    {
        Separator();
        var span = output.GetSpan(64);
        if (!value.TryFormat(span, out var written, format, System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("A fixed-form CSV cell is longer than 64 bytes.");
        }

        output.Advance(written);
    }

    public void EndRow()
    {
        "\r\n"u8.CopyTo(output.GetSpan(2));
        output.Advance(2);
        _rowStarted = false;
    }

    private void Separator()
    {
        if (_rowStarted)
        {
            output.GetSpan(1)[0] = (byte)',';
            output.Advance(1);
        }

        _rowStarted = true;
    }
}
