using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Refuses trusted-headers mode while the app trusts <c>X-Forwarded-For</c> from any sender (the
/// <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c> switch, or <see cref="ForwardedHeadersOptions"/> with no known network or
/// proxy), since any client could then claim a trusted proxy's address; in other modes it warns once at startup when an
/// address check is in use.
/// </summary>
internal sealed class ForwardedHeadersPostureValidation
{
    internal const string SwitchVariable = "ASPNETCORE_FORWARDEDHEADERS_ENABLED";
    internal const string SwitchKey = "FORWARDEDHEADERS_ENABLED";

    private const string Fix =
        "Remove the switch and trust only the proxy in front of the app: builder.Services.Configure<ForwardedHeadersOptions>(o => { o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto; o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(\"10.0.0.0/8\")); }) and app.UseForwardedHeaders() (docs/forward-auth.md).";

    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private int _warned;

    public ForwardedHeadersPostureValidation(IServiceProvider services, ILoggerFactory loggerFactory)
    {
        _services = services;
        _logger = loggerFactory.CreateLogger("AuthPatterns.ForwardAuth.ForwardedHeaders");
    }

    /// <summary>Throws naming <c>TrustedProxies</c> when trusted-headers mode cannot be made safe; warns once otherwise.</summary>
    public void Validate(ForwardAuthAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        var cause = TrustsAnySender(_services.GetService<IConfiguration>(), _services.GetService<IOptions<ForwardedHeadersOptions>>()?.Value);
        if (cause is null)
        {
            return;
        }

        if (options.Mode == ForwardAuthMode.TrustedHeaders)
        {
            throw new InvalidOperationException(
                $"LayeredAuth:ForwardAuth:TrustedProxies cannot be checked while {cause}: the app then trusts X-Forwarded-For from any sender, so a client connecting directly could claim a trusted proxy's address. {Fix} Or use Mode Verify.");
        }

        var checks = new List<string>(2);
        if (options.VerifyUrl is not null)
        {
            checks.Add("the portal's network rules (the address is sent to it as X-Forwarded-For)");
        }

        if (_services.GetService<IOptions<AuthenticationOptions>>()?.Value.SchemeMap.ContainsKey(LayeredAuthSchemes.ApiKey) == true)
        {
            checks.Add("API-key AllowedNetworks and per-address budgets");
        }

        if (checks.Count > 0 && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            _logger.ForwardedHeadersTrustAnySender(cause, string.Join(" and ", checks));
        }
    }

    /// <summary>What makes the app trust <c>X-Forwarded-For</c> from any sender, or <see langword="null"/> when nothing does.</summary>
    internal static string? TrustsAnySender(IConfiguration? configuration, ForwardedHeadersOptions? forwarded)
    {
        if (IsTrue(configuration?[SwitchKey]) || IsTrue(configuration?[SwitchVariable]) || IsTrue(Environment.GetEnvironmentVariable(SwitchVariable)))
        {
            return $"{SwitchVariable}=true";
        }

        if (forwarded is not null
            && (forwarded.ForwardedHeaders & ForwardedHeaders.XForwardedFor) != 0
            && forwarded.KnownIPNetworks.Count == 0
            && forwarded.KnownProxies.Count == 0
            && !HasLegacyKnownNetworks(forwarded))
        {
            return "ForwardedHeadersOptions forwards X-Forwarded-For with empty KnownIPNetworks and KnownProxies";
        }

        return null;
    }

    // The list .NET 10 marks obsolete still counts for apps that fill it.
#pragma warning disable ASPDEPR005
    private static bool HasLegacyKnownNetworks(ForwardedHeadersOptions forwarded) => forwarded.KnownNetworks.Count > 0;
#pragma warning restore ASPDEPR005

    private static bool IsTrue(string? value) => string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
}
