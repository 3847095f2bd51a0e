using System.Globalization;
using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Probes the portal's verify endpoint the way a verify call reaches it (same HttpClient, same forwarded headers) but
/// without any cookie: an answer the portal's contract defines for a caller without a session (401, 403, a redirect, or
/// 2xx for a target it lets through) proves it is up. The probe carries no credential, so it can neither leak one nor
/// sign anyone in.
/// </summary>
internal sealed class ForwardAuthPortalHealthCheck(
    IHttpClientFactory httpClientFactory,
    IOptionsMonitor<ForwardAuthAuthenticationOptions> optionsMonitor,
    TimeProvider time,
    string scheme,
    TimeSpan? timeout) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        var options = optionsMonitor.Get(scheme);
        if (options.VerifyUrl is not { } verifyUrl)
        {
            return HealthCheckResult.Healthy("The forward-auth scheme asks no portal (no VerifyUrl): nothing to probe.");
        }

        var limit = timeout ?? options.VerifyTimeout;
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["verify_url"] = verifyUrl.GetLeftPart(UriPartial.Path) };
        using var request = new HttpRequestMessage(HttpMethod.Get, verifyUrl);
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Method", "GET");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", verifyUrl.Host);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Uri", "/");

        using var timeoutSource = new CancellationTokenSource(limit, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        var started = time.GetTimestamp();
        try
        {
            using var response = await httpClientFactory.CreateClient(ForwardAuthAuthenticationDefaults.HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var elapsed = time.GetElapsedTime(started);
            var status = (int)response.StatusCode;
            data["status"] = status;
            data["elapsed_ms"] = Math.Round(elapsed.TotalMilliseconds);
            if (!IsContractAnswer(response.StatusCode))
            {
                // 5xx, or a 4xx the verify contract does not define (a wrong path, headers the portal wants): every
                // verify call would fail closed the same way.
                return new HealthCheckResult(failure, string.Create(CultureInfo.InvariantCulture, $"The portal answered {status} to a probe without a session: verify calls fail closed."), data: data);
            }

            // Slower than half the limit: still answering, but close to the point where sign-ins fail with 503.
            if (elapsed > limit / 2)
            {
                return HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"The portal answered {status} in {elapsed.TotalMilliseconds:0} ms, over half the {limit.TotalMilliseconds:0} ms limit."), data: data);
            }

            return HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"The portal answered {status} to a probe without a session in {elapsed.TotalMilliseconds:0} ms."), data);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(failure, string.Create(CultureInfo.InvariantCulture, $"The portal did not answer within {limit.TotalMilliseconds:0} ms."), data: data);
        }
        catch (HttpRequestException exception)
        {
            data["error"] = exception.HttpRequestError.ToString();
            return new HealthCheckResult(failure, $"The portal is unreachable ({exception.HttpRequestError}).", data: data);
        }
    }

    private static bool IsContractAnswer(HttpStatusCode status) => status is
        (>= HttpStatusCode.OK and < HttpStatusCode.MultipleChoices)
        or HttpStatusCode.Unauthorized
        or HttpStatusCode.Forbidden
        or HttpStatusCode.Found
        or HttpStatusCode.SeeOther
        or HttpStatusCode.TemporaryRedirect;
}
