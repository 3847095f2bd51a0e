using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Authorization;

/// <summary>
/// The authorization middleware's policy evaluator, one step shorter for the scope policies. A policy that authenticates
/// with the <see cref="LayeredAuthSchemes.Layered"/> scheme alone, on a request that <c>UseAuthentication()</c> already
/// authenticated with that same scheme as the default, is answered with the result <c>UseAuthentication()</c> kept for the
/// request. The stock evaluator would authenticate the scheme again (its handler answers the same, from the request's
/// own handler) and copy the principal into a merged one. Everything else goes to the stock evaluator: other policies, a
/// failed or missing result, a request whose user was replaced since (replacing <see cref="HttpContext.User"/> drops the
/// kept result), and an application's claims transformation, which the stock evaluator runs again.
/// </summary>
internal sealed class LayeredPolicyEvaluator : PolicyEvaluator
{
    private readonly bool _shortcut;

    public LayeredPolicyEvaluator(IAuthorizationService authorization, IOptions<AuthenticationOptions> authentication, IClaimsTransformation transformation)
        : base(authorization)
    {
        var options = authentication.Value;
        _shortcut = string.Equals(options.DefaultAuthenticateScheme ?? options.DefaultScheme, LayeredAuthSchemes.Layered, StringComparison.Ordinal)
            && transformation.GetType() == typeof(NoopClaimsTransformation);
    }

    public override Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context)
    {
        if (_shortcut
            && policy.AuthenticationSchemes is [LayeredAuthSchemes.Layered]
            && context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult is { Succeeded: true } result)
        {
            return Task.FromResult(result);
        }

        return base.AuthenticateAsync(policy, context);
    }
}
