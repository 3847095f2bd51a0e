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

        options.Events ??= new JwtBearerEvents();

        // The access_token query parameter (RFC 6750 §2.3) is read only on endpoints that opt in (hubs, WebSockets,
        // whose browser clients cannot send headers); selection counts it on those endpoints only, so elsewhere it is
        // never read, and never a credential.
        var messageReceived = options.Events.OnMessageReceived;
        options.Events.OnMessageReceived = messageReceived == DefaultEvents.OnMessageReceived
            ? ReadQueryToken
            : async context =>
            {
                await ReadQueryToken(context);
                await messageReceived(context);
            };

        // RFC 6750 §3.1: a refused token gets error="invalid_token" and nothing else; the layered scheme writes the body,
        // unless the application's OnChallenge called HandleResponse().
        var challenge = options.Events.OnChallenge;
        options.Events.OnChallenge = async context =>
        {
            // A presented but empty "Bearer " credential is refused too, not treated as absent.
            if (context.AuthenticateFailure is not null
                || context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                || AccessTokenQuery.Count(context.HttpContext) > 0)
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

    private static readonly JwtBearerEvents DefaultEvents = new();

    // The OnMessageReceived of an application that set none: the query token, on the endpoints that opt in.
    private static readonly Func<MessageReceivedContext, Task> ReadQueryToken = static context =>
    {
        // The warm path answered this request already: the same answer.
        if (JwtWarmPath.AnswerOf(context.HttpContext) is { Ticket: { } ticket })
        {
            context.Principal = ticket.Principal;
            context.Properties = ticket.Properties;
            context.Success();
            return Task.CompletedTask;
        }

        if (context.Token is null && AccessTokenQuery.TryRead(context.HttpContext, out var token))
        {
            context.Token = token;
        }

        return Task.CompletedTask;
    };

    /// <summary>
    /// Whether the stock handler, for these options, does nothing beyond reading the header and asking
    /// <paramref name="tokenHandler"/>: no event of the application's, no events type, no forwarding, no other token handler.
    /// Read per request, so a change made to the options after startup is seen.
    /// </summary>
    internal static bool IsPlain(JwtBearerOptions options, LayeredJwtTokenHandler tokenHandler) =>
        options.Events is { } events
        && events.GetType() == typeof(JwtBearerEvents)
        && events.OnMessageReceived == ReadQueryToken
        && events.OnTokenValidated == DefaultEvents.OnTokenValidated
        && events.OnAuthenticationFailed == DefaultEvents.OnAuthenticationFailed
        && WarmPathAnswer.IsUnforwarded(options)
        && !options.SaveToken
        && options.TokenHandlers.Count == 1
        && ReferenceEquals(options.TokenHandlers[0], tokenHandler);

    /// <summary>Sets every validation parameter this scheme depends on; anything the application set before is overridden.</summary>
    internal static void Harden(TokenValidationParameters parameters, JwtAuthenticationOptions validation, IJwtKeySource keySource, TimeProvider time)
    {
        parameters.ValidateIssuer = true;
        var issuers = validation.EffectiveIssuers;
        parameters.ValidIssuer = issuers.Count == 1 ? issuers[0] : null;
        parameters.ValidIssuers = issuers.Count == 1 ? null : [.. issuers];
        parameters.IssuerValidator = null;
        parameters.ValidateAudience = true;
        var audiences = validation.EffectiveAudiences;
        parameters.ValidAudience = audiences.Count == 1 ? audiences[0] : null;
        parameters.ValidAudiences = audiences.Count == 1 ? null : [.. audiences];
        parameters.AudienceValidator = null;
        parameters.RequireAudience = true;
        parameters.IgnoreTrailingSlashWhenValidatingAudience = false;
        parameters.ValidateLifetime = true;
        parameters.RequireExpirationTime = true;
        parameters.ClockSkew = validation.ClockSkew;
        var maxLifetime = validation.MaxTokenLifetime;
        parameters.LifetimeValidator = (notBefore, expires, token, p) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            return IsWithinLifetime(now, notBefore, expires, p.ClockSkew) && IsWithinMaxLifetime(now, token, expires, maxLifetime, p.ClockSkew);
        };
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

    // Measured from iat when the token has one, and always against the time it has left, so a token without iat
    // cannot claim a short life it does not have.
    internal static bool IsWithinMaxLifetime(DateTime now, SecurityToken? token, DateTime? expires, TimeSpan? maxLifetime, TimeSpan skew)
    {
        if (maxLifetime is not { } limit)
        {
            return true;
        }

        if (expires is not { } exp)
        {
            return false;
        }

        exp = exp.ToUniversalTime();
        if (exp - now > limit + skew)
        {
            return false;
        }

        return token is not JsonWebToken jwt || jwt.IssuedAt == DateTime.MinValue || exp - jwt.IssuedAt.ToUniversalTime() <= limit + skew;
    }
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
        var telemetry = services.GetRequiredService<JwtTelemetry>();
        KeySource = Options.UseLocalSigningKeys
            ? services.GetRequiredService<Issuing.LocalSigningKeySource>()
            : new JwksKeySource(Options, RequireHttps, services.GetRequiredService<IHttpClientFactory>(), time, logger, telemetry);
        Cache = Options.EnableTokenCache ? CreateCache(Options, time) : null;
        if (Cache is { } cache)
        {
            telemetry.CachedTokens.Observe(LayeredAuthSchemes.Bearer, () => cache.Count);
            telemetry.CachedBytes.Observe(LayeredAuthSchemes.Bearer, () => cache.Size);
        }
        TokenHandler = new LayeredJwtTokenHandler(
            Options, LayeredAuthSchemes.Bearer, KeySource, Cache, services.GetService<IJwtRevocationList>(), time, logger,
            services.GetRequiredService<LayeredAuthMetrics>(), telemetry);
    }

    public JwtAuthenticationOptions Options { get; }

    public bool RequireHttps { get; }

    public IJwtKeySource KeySource { get; }

    public CredentialCache<ValidatedToken>? Cache { get; }

    /// <summary>
    /// The validated-token cache the options describe: their byte budget, admission by frequency sized to the most
    /// entries it can hold (a miss costs one signature check, so a token presented once need not displace another).
    /// </summary>
    internal static CredentialCache<ValidatedToken> CreateCache(JwtAuthenticationOptions options, TimeProvider time) =>
        new(options.TokenCacheSizeLimitBytes, time, admissionKeys: (int)Math.Min(options.TokenCacheSize, options.TokenCacheSizeLimitBytes / ValidatedToken.EntryOverhead));

    public LayeredJwtTokenHandler TokenHandler { get; }

    public void Dispose() => Cache?.Dispose();
}
