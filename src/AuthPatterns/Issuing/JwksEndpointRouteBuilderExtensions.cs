using System.Text.Json;
using AuthPatterns.Issuing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves the public half of the signing key ring as a JWKS document.</summary>
public static class JwksEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET /.well-known/jwks.json</c> (or <paramref name="pattern"/>): the ring's published keys, public parts only,
    /// with <c>Cache-Control: public, max-age</c> from <see cref="SigningKeyRingOptions.JwksMaxAge"/>. Anonymous.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route; <c>/.well-known/jwks.json</c> by default.</param>
    /// <returns>The endpoint's convention builder.</returns>
    public static IEndpointConventionBuilder MapJwks(this IEndpointRouteBuilder endpoints, string pattern = "/.well-known/jwks.json")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet(pattern, WriteJwksAsync).AllowAnonymous().ExcludeFromDescription();
    }

    private static async Task WriteJwksAsync(HttpContext context)
    {
        var ring = context.RequestServices.GetRequiredService<SigningKeyRing>();
        var snapshot = ring.GetSnapshot();
        using var buffer = new MemoryStream(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var key in snapshot.Published)
            {
                writer.WriteStartObject();
                writer.WriteString("kty", "RSA");
                writer.WriteString("use", "sig");
                writer.WriteString("alg", SecurityAlgorithms.RsaSha256);
                writer.WriteString("kid", key.KeyId);
                writer.WriteString("n", Base64UrlEncoder.Encode(key.PublicParameters.Modulus));
                writer.WriteString("e", Base64UrlEncoder.Encode(key.PublicParameters.Exponent));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var response = context.Response;
        response.ContentType = "application/jwk-set+json";
        response.Headers.CacheControl = $"public, max-age={(int)ring.JwksMaxAge.TotalSeconds}";
        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }
}
