using System.Globalization;
using System.Text;
using AuthPatterns.ApiKeys;

namespace AuthPatterns.Dashboard;

/// <summary>
/// Usage counts as inline SVG bar charts, drawn on the server: one bar per hour, refused attempts stacked by outcome.
/// Colours are presentation attributes (no inline style), so the page's Content-Security-Policy needs no exception.
/// </summary>
internal static class DashboardCharts
{
    private const int Width = 720;
    private const int Height = 180;
    private const int Left = 44;
    private const int Bottom = 22;
    private const int Top = 8;

    /// <summary>The colour of each counted outcome, the same in every chart and legend.</summary>
    public static readonly IReadOnlyDictionary<string, string> Colours = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ApiKeyOutcomes.Valid] = "#2f6fb0",
        [ApiKeyOutcomes.InvalidSecret] = "#c0392b",
        [ApiKeyOutcomes.Expired] = "#8e6c2f",
        [ApiKeyOutcomes.Revoked] = "#7d3c98",
        [ApiKeyOutcomes.RateLimited] = "#d35400",
        [ApiKeyOutcomes.NetworkNotAllowed] = "#16a085",
        [ApiKeyOutcomes.Exposed] = "#e91e63",
    };

    /// <summary>What a person reads for each counted outcome.</summary>
    public static readonly IReadOnlyDictionary<string, string> Labels = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ApiKeyOutcomes.Valid] = "served",
        [ApiKeyOutcomes.InvalidSecret] = "invalid secret",
        [ApiKeyOutcomes.Expired] = "expired",
        [ApiKeyOutcomes.Revoked] = "revoked",
        [ApiKeyOutcomes.RateLimited] = "rate-limited",
        [ApiKeyOutcomes.NetworkNotAllowed] = "network not allowed",
        [ApiKeyOutcomes.Exposed] = "key in a query string",
    };

    public static IEnumerable<string> RefusedOutcomes => ApiKeyUsageCount.CountedOutcomes.Where(o => o != ApiKeyOutcomes.Valid);

    /// <summary>
    /// Draws one bar per hour of <paramref name="hours"/>, each stacked from the counts of <paramref name="outcomes"/>
    /// in that hour.
    /// </summary>
    public static string Bars(string label, IReadOnlyList<DateTimeOffset> hours, IReadOnlyList<ApiKeyUsageCount> counts, IReadOnlyCollection<string> outcomes)
    {
        var index = hours.Select((h, i) => (h, i)).ToDictionary(p => p.h, p => p.i);
        var values = new long[hours.Count, outcomes.Count];
        var order = outcomes.Select((o, i) => (o, i)).ToDictionary(p => p.o, p => p.i, StringComparer.Ordinal);
        foreach (var count in counts)
        {
            if (index.TryGetValue(count.PeriodStart, out var h) && order.TryGetValue(count.Outcome, out var o))
            {
                values[h, o] += count.Count;
            }
        }

        long max = 0;
        for (var h = 0; h < hours.Count; h++)
        {
            long sum = 0;
            for (var o = 0; o < outcomes.Count; o++)
            {
                sum += values[h, o];
            }

            max = Math.Max(max, sum);
        }

        var scale = NiceMax(max);
        var plotWidth = Width - Left - 8;
        var plotHeight = Height - Top - Bottom;
        var slot = (double)plotWidth / Math.Max(1, hours.Count);
        var bar = Math.Max(1, slot * 0.75);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{DashboardHtml.Encode(label)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{DashboardHtml.Encode(label)}</title>");

        // Grid lines and the count axis: 0, the top, and the middle when it is a whole number.
        foreach (var fraction in scale % 2 == 0 ? (double[])[0, 0.5, 1] : [0, 1])
        {
            var y = Top + plotHeight - (fraction * plotHeight);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - 8}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">{(long)(scale * fraction)}</text>");
        }

        for (var h = 0; h < hours.Count; h++)
        {
            var x = Left + (h * slot) + ((slot - bar) / 2);
            double stacked = 0;
            for (var o = 0; o < outcomes.Count; o++)
            {
                var value = values[h, o];
                if (value == 0)
                {
                    continue;
                }

                var height = Math.Max(1, value * plotHeight / (double)scale);
                var y = Top + plotHeight - stacked - height;
                var outcome = outcomes.ElementAt(o);
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{bar:0.##}\" height=\"{height:0.##}\" fill=\"{Colours[outcome]}\">");
                svg.Append(CultureInfo.InvariantCulture, $"<title>{hours[h]:yyyy-MM-dd HH:mm} UTC: {value} {Labels[outcome]}</title></rect>");
                stacked += height;
            }

            // An hour label every quarter of the window.
            if (h % Math.Max(1, hours.Count / 4) == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (h * slot) + (slot / 2):0.#}\" y=\"{Height - 6}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">{hours[h]:MM-dd HH:mm}</text>");
            }
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>The hours of the window ending with the hour holding <paramref name="now"/>, oldest first.</summary>
    public static IReadOnlyList<DateTimeOffset> Hours(DateTimeOffset now, TimeSpan window)
    {
        var last = ApiKeyUsageCount.PeriodOf(now);
        var count = (int)(window.Ticks / ApiKeyUsageCount.Period.Ticks);
        return [.. Enumerable.Range(0, count).Select(i => last - (ApiKeyUsageCount.Period * (count - 1 - i)))];
    }

    // A round top for the axis: 1, 2 or 5 times a power of ten, at least 1.
    private static long NiceMax(long max)
    {
        long step = 1;
        while (true)
        {
            foreach (var factor in (long[])[1, 2, 5])
            {
                if (step * factor >= max)
                {
                    return Math.Max(1, step * factor);
                }
            }

            step *= 10;
        }
    }
}
