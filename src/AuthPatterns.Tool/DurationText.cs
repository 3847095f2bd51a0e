using System.Globalization;

namespace AuthPatterns.Tool;

/// <summary>
/// Reads durations as people write them (<c>90s</c>, <c>15m</c>, <c>12h</c>, <c>90d</c>, <c>2w</c>, or
/// <c>d.hh:mm:ss</c>), with every multiplication checked: a value too large for its bound is refused, never wrapped
/// around to a small one.
/// </summary>
internal static class DurationText
{
    public static bool TryParse(string? value, TimeSpan max, bool allowZero, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        value = value.Trim();
        TimeSpan parsed;
        var unit = value[^1] switch
        {
            's' => TimeSpan.TicksPerSecond,
            'm' => TimeSpan.TicksPerMinute,
            'h' => TimeSpan.TicksPerHour,
            'd' => TimeSpan.TicksPerDay,
            'w' => 7 * TimeSpan.TicksPerDay,
            _ => 0,
        };
        if (unit != 0 && value.Length >= 2)
        {
            if (!long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
                || amount > max.Ticks / unit)
            {
                return false;
            }

            parsed = TimeSpan.FromTicks(amount * unit);
        }
        else if (!TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out parsed))
        {
            return false;
        }

        if (parsed < TimeSpan.Zero || parsed > max || (parsed == TimeSpan.Zero && !allowZero))
        {
            return false;
        }

        duration = parsed;
        return true;
    }
}
