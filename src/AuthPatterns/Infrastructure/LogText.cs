using System.Globalization;
using System.Text;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// Makes a value taken from a request (a header, a query parameter name, a path, a name typed by a caller) safe to
/// write into a log line: control and format characters (CR, LF, ESC, NUL, bidi overrides, line and paragraph
/// separators) and lone surrogates are written as <c>\uXXXX</c>, a backslash as <c>\\</c>, and the value is cut at a
/// bounded length. A log line can then never be split, forged or recoloured by what a sender chose.
/// </summary>
internal static class LogText
{
    /// <summary>The most characters of one value kept in a log line.</summary>
    public const int MaxLength = 256;

    public static string Escape(string? value)
    {
        if (value is null)
        {
            return "";
        }

        var clean = value.Length <= MaxLength;
        for (var i = 0; clean && i < value.Length; i++)
        {
            clean = !NeedsEscape(value, i);
        }

        if (clean)
        {
            return value;
        }

        var text = new StringBuilder(Math.Min(value.Length, MaxLength) + 16);
        for (var i = 0; i < value.Length; i++)
        {
            if (text.Length >= MaxLength)
            {
                text.Append("...");
                break;
            }

            var c = value[i];
            if (c == '\\')
            {
                text.Append(@"\\");
            }
            else if (NeedsEscape(value, i))
            {
                text.Append(@"\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else if (char.IsHighSurrogate(c))
            {
                // A valid pair (checked by NeedsEscape) is copied whole.
                text.Append(c).Append(value[++i]);
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    private static bool NeedsEscape(string value, int index) => value[index] == '\\' || IsUnsafeAt(value, index);

    /// <summary>
    /// Whether the character at <paramref name="index"/> can split, recolour or hide text where it is shown: a control
    /// or format character (C0, <c>DEL</c>, C1, bidi controls, zero-width characters), a line or paragraph separator,
    /// or a lone surrogate. The tool's terminal output classifies the same way (a test holds the two together).
    /// </summary>
    public static bool IsUnsafeAt(string value, int index)
    {
        var c = value[index];
        if (char.IsHighSurrogate(c))
        {
            return index + 1 >= value.Length || !char.IsLowSurrogate(value[index + 1]);
        }

        if (char.IsLowSurrogate(c))
        {
            return index == 0 || !char.IsHighSurrogate(value[index - 1]);
        }

        return char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
    }
}
