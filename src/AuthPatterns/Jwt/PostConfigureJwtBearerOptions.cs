using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Jwt;

/// <summary>
/// Hardens the stock <see cref="JwtBearerOptions"/> of the <see cref="LayeredAuthSchemes.Bearer"/> scheme from its
/// <see cref="JwtAuthenticationOptions"/>: exact issuer, required audience and expiry, allowed algorithms, keys only from our
/// key source, no inbound claim mapping, no error details, and our token handler in front of IdentityModel's.
/// </summary>
internal sealed class PostConfigureJwtBearerOptions : IPostConfigureOptions<JwtBearerOptions>
{
    private readonly IServiceProvider _services;

    public PostConfigureJwtBearerOptions(IServiceProvider services) => _services = services;

    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        if (!string.Equals(name, LayeredAuthSchemes.Bearer, StringComparison.Ordinal))
        {
            return;
        }

        var runtime = _services.GetRequiredService<JwtSchemeRuntime>();
        var validation = runtime.Options;
        var time = _services.GetRequiredService<TimeProvider>();

        options.MapInboundClaims = false;
        options.IncludeErrorDetails = false;
        options.SaveToken = false;
        options.RequireHttpsMetadata = runtime.RequireHttps;
        options.UseSecurityTokenValidators = false;
        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(runtime.TokenHandler);

        Harden(options.TokenValidationParameters, validation, runtime.KeySource, time);

        // RFC 6750 §3.1: a refused token gets error="invalid_token" and nothing else; the layered scheme writes the body,
        // unless the application's OnChallenge called HandleResponse().
        options.Events ??= new JwtBearerEvents();
        var challenge = options.Events.OnChallenge;
        options.Events.OnChallenge = async context =>
        {
            // A presented but empty "Bearer " credential is refused too, not treated as absent.
            if (context.AuthenticateFailure is not null
                || context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                context.Error = "invalid_token";
                context.ErrorDescription = null;
                context.ErrorUri = null;
            }

            await challenge(context);
            if (context.Handled)
            {
                // The application wrote its own answer: the layered scheme adds neither a challenge nor a body.
                HandledResponse.Mark(context.HttpContext);
            }
        };
    }

    /// <summary>Sets every validation parameter this scheme depends on; anything the application set before is overridden.</summary>
    internal static void Harden(TokenValidationParameters parameters, JwtAuthenticationOptions validation, IJwtKeySource keySource, TimeProvider time)
    {
        parameters.ValidateIssuer = true;
        parameters.ValidIssuer = validation.EffectiveIssuer;
        parameters.ValidIssuers = null;
        parameters.IssuerValidator = null;
        parameters.ValidateAudience = true;
        parameters.ValidAudience = validation.Audience;
        parameters.ValidAudiences = null;
        parameters.AudienceValidator = null;
        parameters.RequireAudience = true;
        parameters.IgnoreTrailingSlashWhenValidatingAudience = false;
        parameters.ValidateLifetime = true;
        parameters.RequireExpirationTime = true;
        parameters.ClockSkew = validation.ClockSkew;
        parameters.LifetimeValidator = (notBefore, expires, _, p) => IsWithinLifetime(time.GetUtcNow().UtcDateTime, notBefore, expires, p.ClockSkew);
        parameters.RequireSignedTokens = true;
        parameters.ValidAlgorithms = [.. validation.EffectiveAlgorithms];
        parameters.ValidTypes = validation.RequiredTokenType is null ? null : [validation.RequiredTokenType, "application/" + validation.RequiredTokenType];
        parameters.TryAllIssuerSigningKeys = false;
        parameters.IssuerSigningKey = null;
        parameters.IssuerSigningKeys = null;
        parameters.IssuerSigningKeyResolver = (_, token, kid, _) =>
            token is JsonWebToken jwt && !string.IsNullOrEmpty(kid) ? keySource.Resolve(kid, jwt.Alg) : [];
        parameters.IssuerSigningKeyResolverUsingConfiguration = null;
        parameters.ValidateIssuerSigningKey = true;
        parameters.ValidateWithLKG = false;
        parameters.ConfigurationManager = null;
        parameters.NameClaimType = LayeredClaimTypes.Subject;
        parameters.RoleClaimType = "role";
        parameters.AuthenticationType = LayeredAuthSchemes.Bearer;
    }

    internal static bool IsWithinLifetime(DateTime now, DateTime? notBefore, DateTime? expires, TimeSpan skew) =>
        expires is { } exp
        && now < exp.ToUniversalTime() + skew
        && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now + skew);
}

/// <summary>The scheme's long-lived parts, built once from its validated options.</summary>
internal sealed class JwtSchemeRuntime : IDisposable
{
    public JwtSchemeRuntime(
        IOptionsMonitor<JwtAuthenticationOptions> optionsMonitor,
        IServiceProvider services,
        TimeProvider time,
        Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        Options = optionsMonitor.Get(LayeredAuthSchemes.Bearer);
        var environment = services.GetService<IHostEnvironment>();
        RequireHttps = Options.RequireHttpsMetadata ?? environment?.IsDevelopment() != true;
        var logger = loggerFactory.CreateLogger("AuthPatterns.Jwt");
        KeySource = Options.UseLocalSigningKeys
            ? services.GetRequiredService<Issuing.LocalSigningKeySource>()
            : new JwksKeySource(Options, RequireHttps, services.GetRequiredService<IHttpClientFactory>(), time, logger);
        Cache = Options.EnableTokenCache ? new CredentialCache<ValidatedToken>(Options.TokenCacheSizeLimitBytes, time) : null;
        TokenHandler = new LayeredJwtTokenHandler(
            Options, LayeredAuthSchemes.Bearer, KeySource, Cache, services.GetService<IJwtRevocationList>(), time, logger);
    }

    public JwtAuthenticationOptions Options { get; }

    public bool RequireHttps { get; }

    public IJwtKeySource KeySource { get; }

    public CredentialCache<ValidatedToken>? Cache { get; }

    public LayeredJwtTokenHandler TokenHandler { get; }

    public void Dispose() => Cache?.Dispose();
}
