using System.Globalization;
using System.Text;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.Tool;

/// <summary>
/// Makes a stored value safe to print on a terminal. Owners, tenants, names, reasons and scopes are written by whoever
/// created or revoked a key (or by a caller of the management API); printed raw, an <c>ESC</c> sequence could erase
/// rows, forge an "active" line or write the operator's clipboard (OSC 52), and a <c>CR</c> or bidi override could
/// hide text. Every character <see cref="LogText.IsUnsafeAt"/> names (C0 and C1 controls, <c>DEL</c>, bidi and other
/// format characters, line and paragraph separators, unpaired surrogates) is shown as a visible <c>\uXXXX</c> escape
/// instead, in lower-case hex; unlike a log line, a backslash is kept and the value is not cut.
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
            if (LogText.IsUnsafeAt(value, i))
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

    private static bool HasUnsafe(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (LogText.IsUnsafeAt(value, i))
            {
                return true;
            }
        }

        return false;
    }
}
