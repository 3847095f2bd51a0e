using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Infrastructure;
using AuthPatterns.Posture;

namespace AuthPatterns.Tool;

/// <summary>
/// <c>authpatterns posture --url &lt;app&gt;</c>: reads an application's posture report (<c>MapAuthPosture()</c>) and prints
/// it as a table or as JSON; with <c>--fail-on</c>, exits 1 when findings of that severity or worse exist, for CI.
/// </summary>
internal static class PostureCommand
{
    public const int Passed = 0;
    public const int FindingsAtOrAbove = 1;
    public const int Failed = 2;

    private const int MaxReportBytes = 8 * 1024 * 1024;

    /// <summary>Creates the command.</summary>
    /// <param name="createHandler">Creates the HTTP handler (tests pass a test server's); the default is a plain socket handler.</param>
    /// <returns>The command.</returns>
    public static Command Create(Func<HttpMessageHandler>? createHandler = null)
    {
        var url = new Option<string>("--url") { Description = $"The application, for example http://localhost:5080 (the report is read at {AuthPostureEndpointOptions.DefaultPattern}), or the report's full address.", Required = true };
        var apiKey = new Option<string?>("--api-key") { Description = "An API key holding the report's scope (authpatterns:admin by default)." };
        var apiKeyHeader = new Option<string>("--api-key-header") { Description = "The header the API key is sent in.", DefaultValueFactory = _ => ApiKeyAuthenticationDefaults.HeaderName };
        var token = new Option<string?>("--token") { Description = "A bearer token holding the report's scope." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of a table." };
        var failOn = new Option<string?>("--fail-on") { Description = "Exit with 1 when findings of this severity or worse exist: info, warning or high." };
        failOn.AcceptOnlyFromAmong("info", "warning", "high");

        var command = new Command("posture", "Print an application's auth posture: its endpoints' schemes and scopes, and the findings.")
        {
            url, apiKey, apiKeyHeader, token, json, failOn,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var key = parseResult.GetValue(apiKey);
            var bearer = parseResult.GetValue(token);
            if (key is not null && bearer is not null)
            {
                await error.WriteLineAsync("--api-key and --token are exclusive: the application refuses a request that carries two credentials.");
                return Failed;
            }

            if (!TryResolveAddress(parseResult.GetValue(url), out var address, out var problem))
            {
                await error.WriteLineAsync(problem);
                return Failed;
            }

            if ((key is not null || bearer is not null) && !IsSafeForCredentials(address))
            {
                await error.WriteLineAsync($"Refusing to send a credential to {address.GetLeftPart(UriPartial.Authority)} over plain HTTP: use https, or http only to localhost.");
                return Failed;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (key is not null && !request.Headers.TryAddWithoutValidation(parseResult.GetValue(apiKeyHeader)!, key))
            {
                await error.WriteLineAsync("--api-key-header is not a valid header name.");
                return Failed;
            }

            if (bearer is not null && !request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer))
            {
                await error.WriteLineAsync("--token is not a valid token.");
                return Failed;
            }

            var (report, readError) = await FetchAsync(createHandler, request, cancellationToken);
            if (report is null)
            {
                await error.WriteLineAsync(readError);
                return Failed;
            }

            if (parseResult.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(report, AuthPostureReport.JsonOptions));
            }
            else
            {
                await output.WriteAsync(FormatTable(report));
            }

            return parseResult.GetValue(failOn) is { } threshold && report.CountAtLeast(ParseSeverity(threshold)) > 0
                ? FindingsAtOrAbove
                : Passed;
        });
        return command;
    }

    internal static AuthPostureSeverity ParseSeverity(string value) => value switch
    {
        "high" => AuthPostureSeverity.High,
        "warning" => AuthPostureSeverity.Warning,
        _ => AuthPostureSeverity.Info,
    };

    // A bare application address reads the report at its default path; an address with a path is the report itself.
    internal static bool TryResolveAddress(string? value, out Uri address, out string problem)
    {
        address = null!;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problem = $"--url '{TerminalText.Escape(value)}' is not an http or https address, for example http://localhost:5080.";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            problem = "--url must not carry a user name or password; pass --api-key or --token.";
            return false;
        }

        address = uri.AbsolutePath is "/" or "" ? new Uri(uri, AuthPostureEndpointOptions.DefaultPattern) : uri;
        problem = "";
        return true;
    }

    private static bool IsSafeForCredentials(Uri address) =>
        address.Scheme == Uri.UriSchemeHttps
        || address.IsLoopback
        || (IPAddress.TryParse(address.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));

    private static async Task<(AuthPostureReport? Report, string Error)> FetchAsync(Func<HttpMessageHandler>? createHandler, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var where = request.RequestUri!.GetLeftPart(UriPartial.Path);
        using var client = new HttpClient(createHandler?.Invoke() ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: true)
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"Could not reach {where}: {(ex is TaskCanceledException ? "no answer within 30 seconds" : "the connection failed")}. Is the application running at that address?");
        }

        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.Unauthorized:
                    return (null, $"{where} answered 401 Unauthorized: pass --api-key or --token with a credential the application accepts (the report needs the scope authpatterns:admin unless configured otherwise).");
                case HttpStatusCode.Forbidden:
                    return (null, $"{where} answered 403 Forbidden: the credential was accepted but lacks the report's scope (authpatterns:admin unless configured otherwise).");
                case HttpStatusCode.NotFound:
                    return (null, $"{where} answered 404 Not Found: the application does not map the report there (app.MapAuthPosture()).");
            }

            if (!response.IsSuccessStatusCode)
            {
                return (null, $"{where} answered {(int)response.StatusCode}; expected 200 with the posture report.");
            }

            try
            {
                var body = await BoundedResponseBody.ReadAsync(response, MaxReportBytes, cancellationToken);
                if (body is not { } json)
                {
                    return (null, $"{where} answered with more than {MaxReportBytes / (1024 * 1024)} MiB; that is not a posture report.");
                }

                var report = JsonSerializer.Deserialize<AuthPostureReport>(json.Span, AuthPostureReport.JsonOptions);
                return report is null ? (null, $"{where} did not answer with a posture report.") : (report, "");
            }
            catch (JsonException)
            {
                return (null, $"{where} did not answer with a posture report (the body is not the report's JSON).");
            }
            catch (HttpRequestException)
            {
                return (null, $"Could not read the answer of {where}: the connection failed.");
            }
        }
    }

    internal static string FormatTable(AuthPostureReport report)
    {
        var text = new StringBuilder();
        text.Append("Endpoints (").Append(report.Endpoints.Count).AppendLine(")");
        AppendTable(text, ["METHODS", "ROUTE", "SCHEMES", "SCOPES", "TENANT"], report.Endpoints.Select(e => new[]
        {
            e.Methods.Count == 0 ? "*" : string.Join(',', e.Methods),
            e.Route,
            e.IsProtected ? (e.AcceptedSchemes.Count == 0 ? "(none)" : string.Join(',', e.AcceptedSchemes)) : e.AllowsAnonymous ? "anonymous" : "unprotected",
            Scopes(e),
            e.TenantRouteValue ?? "",
        }));

        text.AppendLine();
        text.Append("Findings: ")
            .Append(report.Findings.Count(f => f.Severity == AuthPostureSeverity.High)).Append(" high, ")
            .Append(report.Findings.Count(f => f.Severity == AuthPostureSeverity.Warning)).Append(" warning, ")
            .Append(report.Findings.Count(f => f.Severity == AuthPostureSeverity.Info)).AppendLine(" info");
        if (report.Findings.Count > 0)
        {
            AppendTable(text, ["SEVERITY", "ID", "SUBJECT", "WHY"], report.Findings.Select(f => new[]
            {
                f.Severity.ToString().ToLowerInvariant(), f.Id, f.Subject, f.Message,
            }));
        }

        return text.ToString();
    }

    private static string Scopes(AuthPostureEndpoint endpoint)
    {
        var parts = new List<string>();
        if (endpoint.RequiredScopes.Count > 0)
        {
            parts.Add(string.Join(' ', endpoint.RequiredScopes));
        }

        parts.AddRange(endpoint.AnyOfScopes.Select(set => "any(" + string.Join(' ', set) + ")"));
        return string.Join(' ', parts);
    }

    // Every cell comes from the application's answer: escaped, so a hostile or compromised app cannot drive the terminal.
    private static void AppendTable(StringBuilder text, string[] headers, IEnumerable<string[]> rows)
    {
        var cells = rows.Select(row => row.Select(TerminalText.Escape).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        AppendRow(text, headers, widths);
        foreach (var row in cells)
        {
            AppendRow(text, row, widths);
        }
    }

    private static void AppendRow(StringBuilder text, string[] row, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < row.Length; i++)
        {
            line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
        }

        text.Append(line.ToString().TrimEnd(' ')).AppendLine();
    }
}
