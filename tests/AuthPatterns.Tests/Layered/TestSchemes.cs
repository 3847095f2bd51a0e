using System.Security.Claims;
using System.Text.Encodings.Web;
using AuthPatterns;
using AuthPatterns.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tests.Layered;

/// <summary>
/// Test-only schemes standing in for the real handlers: the credential is <c>subject|scope scope|tenant</c>;
/// the subject <c>bad</c> is refused.
/// </summary>
internal sealed class TestCredentialHandler : AuthenticationHandler<TestCredentialOptions>
{
    public TestCredentialHandler(IOptionsMonitor<TestCredentialOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : base(options, logger, encoder)
    {
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var value = Options.Read(Request);
        if (value is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var parts = value.Split('|');
        if (parts[0] == "bad")
        {
            return Task.FromResult(AuthenticateResult.Fail("refused"));
        }

        var identity = new ClaimsIdentity(Scheme.Name, LayeredClaimTypes.Subject, "role");
        identity.AddClaim(new Claim(LayeredClaimTypes.Subject, parts[0]));
        if (parts.Length > 1)
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Scope, parts[1]));
            ScopeClaimNormalizer.Normalize(identity);
        }

        if (parts.Length > 2)
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Tenant, parts[2]));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (Options.RedirectBrowsers && Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal))
        {
            Response.Redirect("https://portal.example/login");
            return;
        }

        Response.StatusCode = 401;
        Response.Headers.Append("WWW-Authenticate", result.Failure is null
            ? $"{Scheme.Name} realm=\"test\""
            : $"{Scheme.Name} realm=\"test\", error=\"invalid_token\"");
    }
}

internal sealed class TestCredentialOptions : AuthenticationSchemeOptions
{
    public Func<HttpRequest, string?> Read { get; set; } = _ => null;

    public bool RedirectBrowsers { get; set; }
}

internal static class TestSchemeRegistration
{
    public const string Alpha = "Alpha";
    public const string Beta = "Beta";
    public const string Gamma = "Gamma";

    /// <summary>Alpha reads X-Alpha; Beta reads "Authorization: Beta ..." and speaks RFC 6750; Gamma reads X-Gamma and redirects browsers.</summary>
    public static LayeredAuthBuilder AddTestSchemes(this LayeredAuthBuilder builder, bool withGamma = false)
    {
        builder.Authentication.AddScheme<TestCredentialOptions, TestCredentialHandler>(Alpha, o => o.Read = r => Header(r, "X-Alpha"));
        builder.AddCredentialScheme(new LayeredCredentialScheme(Alpha, c => c.Request.Headers.ContainsKey("X-Alpha")));

        builder.Authentication.AddScheme<TestCredentialOptions, TestCredentialHandler>(Beta, o => o.Read = r =>
        {
            var auth = r.Headers.Authorization.ToString();
            return auth.StartsWith("Beta ", StringComparison.Ordinal) ? auth[5..] : null;
        });
        builder.AddCredentialScheme(new LayeredCredentialScheme(Beta, c => c.Request.Headers.Authorization.ToString().StartsWith("Beta ", StringComparison.Ordinal))
        {
            InsufficientScopeChallenge = "Bearer",
        });

        if (withGamma)
        {
            builder.Authentication.AddScheme<TestCredentialOptions, TestCredentialHandler>(Gamma, o =>
            {
                o.Read = r => Header(r, "X-Gamma");
                o.RedirectBrowsers = true;
            });
            builder.AddCredentialScheme(new LayeredCredentialScheme(Gamma, c => c.Request.Headers.ContainsKey("X-Gamma")));
        }

        return builder;
    }

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;
}
