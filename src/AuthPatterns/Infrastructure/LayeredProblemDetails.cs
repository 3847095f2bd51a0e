using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// Writes RFC 9457 problem-details bodies for authentication and authorization failures. Bodies carry an error code
/// and a fixed sentence; never a secret, an exception message or the reason a secret was wrong.
/// </summary>
/// <remarks>
/// When the application registered an <see cref="IProblemDetailsService"/> (<c>AddProblemDetails()</c>), the body goes
/// through it, so <c>CustomizeProblemDetails</c> and the application's writers see it; the same fields travel as the
/// problem's <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c> and extensions. Otherwise, or when no writer of
/// the service accepts the request, the body is written here, with the customization applied when one is configured.
/// </remarks>
internal static class LayeredProblemDetails
{
    /// <summary>Sets <c>Retry-After</c> to whole seconds, rounded up and never below one (RFC 9110 §10.2.3).</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan after) =>
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public const string ContentType = "application/problem+json";

    private static readonly Uri DefaultTypeBase = new LayeredAuthOptions().ProblemTypeBaseUri;

    private static readonly JsonSerializerOptions FallbackSerializerOptions = new(JsonSerializerDefaults.Web) { TypeInfoResolver = LayeredAuthJsonContext.Default };


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
        var services = context.RequestServices;
        var typeBase = services?.GetService<IOptionsMonitor<LayeredAuthOptions>>()?.Get(LayeredAuthSchemes.Layered).ProblemTypeBaseUri
            ?? DefaultTypeBase;
        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";

        var problem = new ProblemDetails
        {
            Type = new Uri(typeBase, error.Replace('_', '-')).AbsoluteUri,
            Title = title,
            Status = status,
            Detail = detail,
        };
        problem.Extensions["error"] = error;
        if (requiredScopes is { Count: > 0 })
        {
            problem.Extensions["requiredScopes"] = requiredScopes.ToArray();
        }

        if (acceptedSchemes is { Count: > 0 })
        {
            problem.Extensions["acceptedSchemes"] = acceptedSchemes.ToArray();
        }

        problem.Extensions["traceId"] = System.Diagnostics.Activity.Current?.Id ?? context.TraceIdentifier;

        var problemDetailsService = services?.GetService<IProblemDetailsService>();
        if (problemDetailsService is not null)
        {
            var problemContext = new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem };
            if (await problemDetailsService.TryWriteAsync(problemContext))
            {
                return;
            }

            // No writer accepts the request (an Accept header without JSON): ours answers, customized all the same.
            services!.GetService<IOptions<ProblemDetailsOptions>>()?.Value.CustomizeProblemDetails?.Invoke(problemContext);
            problem = problemContext.ProblemDetails;
        }

        await WriteDefaultAsync(context, problem);
    }

    private static async Task WriteDefaultAsync(HttpContext context, ProblemDetails problem)
    {
        var response = context.Response;
        response.ContentType = ContentType;
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteOptional(writer, "type", problem.Type);
            WriteOptional(writer, "title", problem.Title);
            if (problem.Status is { } status)
            {
                writer.WriteNumber("status", status);
            }

            WriteOptional(writer, "detail", problem.Detail);
            WriteOptional(writer, "instance", problem.Instance);
            foreach (var (name, value) in problem.Extensions)
            {
                writer.WritePropertyName(name);
                WriteValue(writer, value, context);
            }

            writer.WriteEndObject();
        }

        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    // Our own values are strings and string arrays; a customization may add anything JSON can hold. Such a value is
    // written with the application's HTTP JSON options, as ASP.NET Core's own problem details writer does: reflection
    // where the application has it, its own source-generated contexts in a trimmed or native AOT application.
    private static void WriteValue(Utf8JsonWriter writer, object? value, HttpContext context)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case IEnumerable<string> values:
                WriteArray(writer, values);
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            default:
                JsonSerializer.Serialize(writer, value, ExtensionTypeInfo(value.GetType(), context));
                break;
        }
    }

    private static JsonTypeInfo ExtensionTypeInfo(Type type, HttpContext context) =>
        (context.RequestServices?.GetService<IOptions<HttpJsonOptions>>()?.Value.SerializerOptions ?? FallbackSerializerOptions).GetTypeInfo(type);

    private static void WriteArray(Utf8JsonWriter writer, IEnumerable<string> values)
    {
        writer.WriteStartArray();
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
