using System.Globalization;
using System.Text;

namespace AuthPatterns.Tool;

/// <summary>
/// Makes a stored value safe to print on a terminal. Owners, tenants, names, reasons and scopes are written by whoever
/// created or revoked a key (or by a caller of the management API); printed raw, an <c>ESC</c> sequence could erase
/// rows, forge an "active" line or write the operator's clipboard (OSC 52), and a <c>CR</c> or bidi override could
/// hide text. Every character <see cref="IsUnsafeAt"/> names (C0 and C1 controls, <c>DEL</c>, bidi and other format
/// characters, line and paragraph separators, unpaired surrogates) is shown as a visible <c>\uXXXX</c> escape instead,
/// in lower-case hex; unlike a log line, a backslash is kept and the value is not cut.
/// </summary>
internal static class TerminalText
{
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value) || !HasUnsafe(value))
        {
            return value ?? "";
        }

        var escaped = new StringBuilder(value.Length + 16);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (IsUnsafeAt(value, i))
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else if (char.IsHighSurrogate(c))
            {
                // A valid pair (checked by IsUnsafeAt) is copied whole.
                escaped.Append(c).Append(value[++i]);
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    /// <summary>
    /// Whether the character at <paramref name="index"/> can split, recolour or hide text where it is shown: a control
    /// or format character, a line or paragraph separator, or a lone surrogate. The library's log lines use the same
    /// classification (a test holds the two to every UTF-16 code unit).
    /// </summary>
    internal static bool IsUnsafeAt(string value, int index)
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

    private static bool HasUnsafe(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (IsUnsafeAt(value, i))
            {
                return true;
            }
        }

        return false;
    }
}
