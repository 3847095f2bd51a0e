using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tests.Jwt;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Tests.Layered;

/// <summary>
/// Claims the library sets itself (<c>auth_scheme</c>, <c>key_id</c>) never come from a credential: a token that names
/// another scheme or an API key id still shows as the scheme that validated it, whichever scheme reads it.
/// </summary>
public sealed class ReservedClaimTests : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(JwtTestKit.Start);

    public void Dispose() => _key.Dispose();

    private static void MapWhoAmI(WebApplication app)
    {
        app.MapGet("/whoami", Describe).RequireAuthorization();
        app.MapGet("/whoami/bearer-only", Describe)
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = LayeredAuthSchemes.Bearer });
    }

    private static object Describe(ClaimsPrincipal user) => new
    {
        schemes = user.FindAll(LayeredClaimTypes.Scheme).Select(c => c.Value).ToArray(),
        keyIds = user.FindAll(LayeredClaimTypes.KeyId).Select(c => c.Value).ToArray(),
        sub = user.FindFirstValue(LayeredClaimTypes.Subject),
    };

    private static async Task<JsonElement> Body(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static string[] Strings(JsonElement body, string name) =>
        body.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Theory]
    [InlineData("/whoami")]
    [InlineData("/whoami/bearer-only")]
    public async Task Finding7_jwt_carrying_auth_scheme_ApiKey_and_a_key_id_shows_as_Bearer_without_them(string path)
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(_key, "k1")));
        await using var app = await JwtTestKit.StartHostAsync(jwks, _time, map: MapWhoAmI);
        var token = JwtTestKit.SignRs(_key, JwtTestKit.Header(), JwtTestKit.Payload(_time.GetUtcNow(), c =>
        {
            c[LayeredClaimTypes.Scheme] = LayeredAuthSchemes.ApiKey;
            c[LayeredClaimTypes.KeyId] = "victimKeyId1";
        }));

        // Twice: the first answer comes from validation, the second from the validated-token cache.
        for (var i = 0; i < 2; i++)
        {
            var body = await Body(await app.Client().SendAsync(JwtTestKit.Get(path, token)));

            Assert.Empty(Strings(body, "keyIds"));
            Assert.Equal("svc-billing", body.GetProperty("sub").GetString());
            Assert.Equal([LayeredAuthSchemes.Bearer], Strings(body, "schemes"));
        }
    }

    [Fact]
    public async Task Finding7_token_cookie_carrying_reserved_claims_shows_as_ForwardAuth_without_them()
    {
        // A stock JwtBearer registration validates the cookie's token, so only the forward-auth handler can strip them.
        var secret = new SymmetricSecurityKey(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        await using var app = await LayeredTestHost.StartAsync(
            MapWhoAmI,
            layered =>
            {
                layered.AddForwardAuth(o => o.TokenCookieName = "__Host-access_token");
                layered.Authentication.AddJwtBearer(LayeredAuthSchemes.Bearer, jwt =>
                {
                    jwt.MapInboundClaims = false;
                    jwt.TokenValidationParameters = new TokenValidationParameters
                    {
                        ValidIssuer = "https://issuer.test",
                        ValidAudience = "orders-api",
                        IssuerSigningKey = secret,
                    };
                });
            });
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.test",
            Audience = "orders-api",
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", "carol"),
                new Claim(LayeredClaimTypes.Scheme, LayeredAuthSchemes.ApiKey),
                new Claim(LayeredClaimTypes.KeyId, "victimKeyId1"),
            ]),
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(secret, SecurityAlgorithms.HmacSha256),
        });
        var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Add("Cookie", "__Host-access_token=" + token);

        var body = await Body(await app.Client().SendAsync(request));

        Assert.Equal("carol", body.GetProperty("sub").GetString());
        Assert.Equal([LayeredAuthSchemes.ForwardAuth], Strings(body, "schemes"));
        Assert.Empty(Strings(body, "keyIds"));
    }

    [Fact]
    public async Task Finding7_an_auth_scheme_claim_added_by_a_scheme_event_is_replaced_by_the_scheme_that_validated()
    {
        await using var app = await LayeredTestHost.StartAsync(
            MapWhoAmI,
            layered => layered.AddApiKeys(o =>
            {
                ApiKeyTestApp.Cheap(o);
                o.Events.OnKeyValidated = context =>
                {
                    ((ClaimsIdentity)context.Principal!.Identity!).AddClaim(new Claim(LayeredClaimTypes.Scheme, LayeredAuthSchemes.Bearer));
                    context.Principal!.AddIdentity(new ClaimsIdentity([new Claim(LayeredClaimTypes.Scheme, "Other")]));
                    return Task.CompletedTask;
                };
            }));
        var created = await app.Services.GetRequiredService<ApiKeyManager>().CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner-1", Scopes = ["a:b"] });
        var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Add("X-API-Key", created.Key);

        var body = await Body(await app.Client().SendAsync(request));

        Assert.Equal([LayeredAuthSchemes.ApiKey], Strings(body, "schemes"));
        Assert.Equal([created.Info.Id], Strings(body, "keyIds"));
    }

    [Theory]
    [InlineData(LayeredClaimTypes.Scheme, true)]
    [InlineData(LayeredClaimTypes.KeyId, true)]
    [InlineData(LayeredClaimTypes.TokenId, false)]
    [InlineData(LayeredClaimTypes.Session, false)]
    [InlineData(LayeredClaimTypes.Subject, false)]
    [InlineData("AUTH_SCHEME", false)]
    public void Reserved_claim_types_are_the_scheme_and_the_key_id(string type, bool reserved) =>
        Assert.Equal(reserved, LayeredClaimTypes.IsReserved(type));
}
