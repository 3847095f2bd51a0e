using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// Writes RFC 9457 problem-details bodies for authentication and authorization failures. Bodies carry an error code
/// and a fixed sentence; never a secret, an exception message or the reason a secret was wrong.
/// </summary>
internal static class LayeredProblemDetails
{
    public const string ContentType = "application/problem+json";

    private static readonly Uri DefaultTypeBase = new LayeredAuthOptions().ProblemTypeBaseUri;

    public static async Task WriteAsync(
        HttpContext context,
        int status,
        string error,
        string title,
        string detail,
        IReadOnlyList<string>? requiredScopes = null,
        IReadOnlyList<string>? acceptedSchemes = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        // One place reads LayeredAuth:ProblemTypeBaseUri, for every scheme's answers.
        var typeBase = context.RequestServices?.GetService<IOptionsMonitor<LayeredAuthOptions>>()?.Get(LayeredAuthSchemes.Layered).ProblemTypeBaseUri
            ?? DefaultTypeBase;
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";

        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", new Uri(typeBase, error.Replace('_', '-')).AbsoluteUri);
            writer.WriteString("title", title);
            writer.WriteNumber("status", status);
            writer.WriteString("detail", detail);
            writer.WriteString("error", error);
            if (requiredScopes is { Count: > 0 })
            {
                WriteArray(writer, "requiredScopes", requiredScopes);
            }

            if (acceptedSchemes is { Count: > 0 })
            {
                WriteArray(writer, "acceptedSchemes", acceptedSchemes);
            }

            writer.WriteString("traceId", System.Diagnostics.Activity.Current?.Id ?? context.TraceIdentifier);
            writer.WriteEndObject();
        }

        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
