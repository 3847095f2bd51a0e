using System.Globalization;
using System.Text;

namespace AuthPatterns.Tool;

/// <summary>
/// Makes a stored value safe to print on a terminal. Owners, tenants, names, reasons and scopes are written by whoever
/// created or revoked a key (or by a caller of the management API); printed raw, an <c>ESC</c> sequence could erase
/// rows, forge an "active" line or write the operator's clipboard (OSC 52), and a <c>CR</c> or bidi override could
/// hide text. Every C0 and C1 control, <c>DEL</c>, line and paragraph separator, bidi control and unpaired surrogate
/// is shown as a visible <c>\uXXXX</c> escape instead.
/// </summary>
internal static class TerminalText
{
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value) || !value.Any(IsUnsafe))
        {
            return value ?? "";
        }

        var escaped = new StringBuilder(value.Length + 16);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                escaped.Append(c).Append(value[++i]);
            }
            else if (IsUnsafe(c))
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static bool IsUnsafe(char c) =>
        c < '\u0020'
        || c is >= '\u007f' and <= '\u009f'
        || c is '\u061c' or '\u200e' or '\u200f' or '\u2028' or '\u2029'
        || c is >= '\u202a' and <= '\u202e'
        || c is >= '\u2066' and <= '\u2069'
        || char.IsSurrogate(c);
}
