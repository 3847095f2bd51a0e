using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.Dashboard;

/// <summary>
/// One dashboard page: the shared layout (navigation, the style sheet under a per-response nonce), the body written by
/// the page, and the headers every page carries (a strict Content-Security-Policy, no caching, no framing, no referrer).
/// Every value that did not come from this class is HTML-encoded through <see cref="Encode(string?)"/>.
/// </summary>
internal sealed class DashboardHtml
{
    private const string Style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
        header{background:#1f2d3d;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
        header a{color:#cfe3ff;text-decoration:none;padding:4px 8px;border-radius:4px}
        header a.current{background:#33475b;color:#fff}
        header .who{margin-left:auto;color:#cbd5e1}
        main{padding:16px 24px;max-width:1200px}
        h1{font-size:20px;margin:8px 0 12px}h2{font-size:16px;margin:20px 0 8px}
        table{border-collapse:collapse;background:#fff;width:100%}
        th,td{border:1px solid #e1e4e8;padding:5px 8px;text-align:left;vertical-align:top}
        th{background:#eef1f4}
        code{font:13px ui-monospace,monospace;background:#eef1f4;padding:1px 4px;border-radius:3px;word-break:break-all}
        table code{white-space:nowrap;word-break:normal}
        .state-active{color:#1e7d32;font-weight:600}.state-revoked,.state-expired{color:#b3261e;font-weight:600}
        .panel{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:12px 16px;margin:12px 0}
        .secret{border-color:#e0a800;background:#fff8e1}
        .error{border-color:#b3261e;background:#fdecea}
        .notice{border-color:#1e7d32;background:#edf7ee}
        form.inline{display:inline-flex;gap:6px;align-items:center;flex-wrap:wrap;margin:4px 0}
        label{display:inline-flex;flex-direction:column;font-size:12px;color:#444;margin-right:8px}
        input{font:inherit;padding:3px 6px;border:1px solid #b9c0c8;border-radius:4px}
        button{font:inherit;padding:4px 10px;border-radius:4px;border:1px solid #1f2d3d;background:#1f2d3d;color:#fff;cursor:pointer}
        button.danger{background:#b3261e;border-color:#b3261e}
        .chart{width:100%;max-width:720px;height:auto;background:#fff;border:1px solid #e1e4e8}
        .legend span{display:inline-block;margin-right:14px}.legend svg{vertical-align:middle;margin-right:4px}
        .muted{color:#666}
        .badge{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;font-weight:600;color:#fff;background:#5f6b77}
        .subject{white-space:nowrap}
        tr.severity-high td{background:#fdecea}tr.severity-high .badge{background:#b3261e}
        tr.severity-warning td{background:#fff8e1}tr.severity-warning .badge{background:#9a6700}
        tr.severity-info td{background:#eef4fb}tr.severity-info .badge{background:#3b6ea5}
        """;

    private readonly StringBuilder _body = new();

    public static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "";

    /// <summary>Appends markup written by the dashboard itself (never a value from a request or a store).</summary>
    public DashboardHtml Raw(string markup)
    {
        _body.Append(markup);
        return this;
    }

    /// <summary>Appends a value, HTML-encoded.</summary>
    public DashboardHtml Text(string? value)
    {
        _body.Append(Encode(value));
        return this;
    }

    /// <summary>Writes the page with its layout and headers.</summary>
    public async Task WriteAsync(HttpContext context, DashboardContext dashboard, string title, string currentPath, int statusCode = StatusCodes.Status200OK)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "text/html; charset=utf-8";
        SecurityHeaders(response, nonce);

        var page = new StringBuilder(_body.Length + 4096);
        page.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        page.Append("<title>").Append(Encode(title)).Append(" - AuthPatterns</title>");
        page.Append("<style nonce=\"").Append(nonce).Append("\">").Append(Style).Append("</style></head><body><header><strong>AuthPatterns</strong><nav>");
        foreach (var (name, path) in DashboardNavigation.Pages)
        {
            var current = string.Equals(path, currentPath, StringComparison.Ordinal) ? " class=\"current\" aria-current=\"page\"" : "";
            page.Append("<a href=\"").Append(Encode(dashboard.Url(path))).Append('"').Append(current).Append('>').Append(Encode(name)).Append("</a>");
        }

        page.Append("</nav><span class=\"who\">").Append(Encode(dashboard.CallerName)).Append("</span></header><main><h1>").Append(Encode(title)).Append("</h1>");
        page.Append(_body).Append("</main></body></html>");
        await response.WriteAsync(page.ToString(), context.RequestAborted);
    }

    /// <summary>The headers of every dashboard answer, pages and refusals alike.</summary>
    public static void SecurityHeaders(HttpResponse response, string? styleNonce)
    {
        var style = styleNonce is null ? "'none'" : $"'nonce-{styleNonce}'";
        response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src {style}; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}

/// <summary>
/// The dashboard's pages, in the order of the navigation bar. A page is one entry here and one mapped route in
/// <see cref="DashboardEndpoints"/>.
/// </summary>
internal static class DashboardNavigation
{
    public const string Keys = "/";

    public const string Usage = "/usage";

    public const string Posture = "/posture";

    public static IReadOnlyList<(string Name, string Path)> Pages { get; } =
    [
        ("Keys", Keys),
        ("Usage", Usage),
        ("Posture", Posture),
    ];
}
