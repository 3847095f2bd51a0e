using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AuthPatterns.Tests.Layered;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Jwt;

/// <summary>Keys and a host shared by the hostile-token cases: the issuer's key k1, a 1024-bit key and an EC key in the JWKS.</summary>
public sealed class HostileTokenFixture : IAsyncLifetime
{
    public RSA IssuerKey { get; } = RSA.Create(2048);

    public RSA AttackerKey { get; } = RSA.Create(2048);

    public RSA WeakKey { get; } = RSA.Create(1024);

    public ECDsa EcKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public FakeTimeProvider Time { get; } = new(Start);

    public TcpListener Listener { get; } = new(IPAddress.Loopback, 0);

    internal FakeJwksHandler Jwks { get; private set; } = null!;

    public WebApplication App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string ListenerUrl => $"http://127.0.0.1:{((IPEndPoint)Listener.LocalEndpoint).Port}/keys";

    /// <summary>How many times a case has built on the fixture's valid header or payload.</summary>
    public int Derivations { get; private set; }

    /// <summary>The valid header, changed as a case needs.</summary>
    public string Header(string kid = "k1", string alg = "RS256", string typ = "at+jwt")
    {
        Derivations++;
        return JwtTestKit.Header(kid, alg, typ);
    }

    /// <summary>The valid payload at the fixture's time, changed as a case needs.</summary>
    public string Payload(Action<Dictionary<string, object>>? change = null)
    {
        Derivations++;
        return JwtTestKit.Payload(Time.GetUtcNow(), change);
    }

    /// <summary>A token the service accepts, signed by the issuer's key from the valid header and payload.</summary>
    public string Valid(string? jti = "fixed") =>
        SignRs(IssuerKey, Header(), Payload(c =>
        {
            if (jti is not null)
            {
                c["jti"] = jti;
            }
        }));

    public async Task InitializeAsync()
    {
        Listener.Start();
        Jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(IssuerKey, "k1"), Jwk(WeakKey, "weak", alg: null), Jwk(EcKey, "ec1")));
        App = await StartHostAsync(Jwks, Time, o => o.RequiredTokenType = "at+jwt");
        Client = App.Client();
    }

    public async Task DisposeAsync()
    {
        Listener.Stop();
        Listener.Dispose();
        Client.Dispose();
        await App.DisposeAsync();
    }
}

public sealed class HostileTokenTests : IClassFixture<HostileTokenFixture>
{
    private readonly HostileTokenFixture _fixture;

    public HostileTokenTests(HostileTokenFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Cases => [.. HostileCases.Keys];

    private static readonly Dictionary<string, Func<HostileTokenFixture, string>> HostileCases = new()
    {
        ["alg none"] = f => NoneToken(f, "none"),
        ["alg None"] = f => NoneToken(f, "None"),
        ["alg NONE"] = f => NoneToken(f, "NONE"),
        ["alg nOnE"] = f => NoneToken(f, "nOnE"),
        ["alg none with a signature"] = f => NoneToken(f, "none") + "c2lnbmF0dXJl",
        ["RS256 to HS256 with the PEM as secret"] = f => SignHs(Encoding.ASCII.GetBytes(f.IssuerKey.ExportSubjectPublicKeyInfoPem()), f.Header(alg: "HS256"), f.Payload()),
        ["RS256 to HS256 with the DER as secret"] = f => SignHs(f.IssuerKey.ExportSubjectPublicKeyInfo(), f.Header(alg: "HS256"), f.Payload()),
        ["RS256 to HS256 with the modulus as secret"] = f => SignHs(f.IssuerKey.ExportParameters(false).Modulus!, f.Header(alg: "HS256"), f.Payload()),
        ["embedded jwk, attacker kid"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "attacker", typ = "at+jwt", jwk = Jwk(f.AttackerKey, "attacker") }), f.Payload()),
        ["embedded jwk under the known kid"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", jwk = Jwk(f.AttackerKey, "k1") }), f.Payload()),
        ["jku to a loopback listener"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", jku = f.ListenerUrl }), f.Payload()),
        ["jku with an unknown kid"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "from-jku", typ = "at+jwt", jku = f.ListenerUrl }), f.Payload()),
        ["x5u to a loopback listener"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", x5u = f.ListenerUrl }), f.Payload()),
        ["x5c with the attacker's certificate"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", x5c = new[] { AttackerCertificate(f.AttackerKey) } }), f.Payload()),
        ["kid path traversal"] = f => SignHs([], f.Header(kid: "../../../../etc/passwd", alg: "HS256"), f.Payload()),
        ["kid path traversal, RS256"] = f => SignRs(f.AttackerKey, f.Header(kid: "../../../../dev/null"), f.Payload()),
        ["kid SQL injection"] = f => SignRs(f.AttackerKey, f.Header(kid: "x' UNION SELECT '1';--"), f.Payload()),
        ["kid prefix of a known kid"] = f => SignRs(f.AttackerKey, f.Header(kid: "K1"), f.Payload()),
        ["attacker key under the known kid"] = f => SignRs(f.AttackerKey, f.Header(), f.Payload()),
        ["unknown kid, valid signature by an unknown key"] = f => SignRs(f.AttackerKey, f.Header(kid: "bogus"), f.Payload()),
        ["no kid"] = f => SignRs(f.IssuerKey, Json(new { alg = "RS256", typ = "at+jwt" }), f.Payload()),
        ["kid not a string"] = f => SignRs(f.IssuerKey, Json(new { alg = "RS256", kid = 1, typ = "at+jwt" }), f.Payload()),
        ["stripped signature"] = f => f.Valid()[..(f.Valid().LastIndexOf('.') + 1)],
        ["bit-flipped signature"] = f => FlipSignatureBit(f.Valid()),
        ["tampered payload"] = f => Tamper(f),
        ["ES256 when only RS256 is allowed"] = f => SignEs(f.EcKey, f.Header(kid: "ec1", alg: "ES256"), f.Payload()),
        ["PS256 with the issuer's own key when only RS256 is allowed"] = f => SignRs(f.IssuerKey, f.Header(alg: "PS256"), f.Payload(), padding: RSASignaturePadding.Pss),
        ["RS256 header with an RS512 signature"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(), hash: HashAlgorithmName.SHA512),
        ["1024-bit key"] = f => SignRs(f.WeakKey, f.Header(kid: "weak"), f.Payload()),
        ["unknown crit"] = f => SignRs(f.IssuerKey, Json(new Dictionary<string, object> { ["alg"] = "RS256", ["kid"] = "k1", ["typ"] = "at+jwt", ["crit"] = new[] { "x-unknown" }, ["x-unknown"] = 1 }), f.Payload()),
        ["empty crit"] = f => SignRs(f.IssuerKey, Json(new Dictionary<string, object> { ["alg"] = "RS256", ["kid"] = "k1", ["typ"] = "at+jwt", ["crit"] = Array.Empty<string>() }), f.Payload()),
        ["crit naming a registered header"] = f => SignRs(f.IssuerKey, Json(new Dictionary<string, object> { ["alg"] = "RS256", ["kid"] = "k1", ["typ"] = "at+jwt", ["crit"] = new[] { "kid" } }), f.Payload()),
        ["zip header"] = f => SignRs(f.IssuerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", zip = "DEF" }), f.Payload()),
        ["string exp"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["exp"] = f.Time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))),
        ["exp 1e300"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload().Replace("\"exp\":" + f.Time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds(), "\"exp\":1e300", StringComparison.Ordinal)),
        ["no exp"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c.Remove("exp"))),
        ["string nbf"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["nbf"] = "0")),
        ["iss as an array"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["iss"] = new[] { Issuer })),
        ["aud as an object"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["aud"] = new { value = Audience })),
        ["scp as a number"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["scp"] = 42)),
        ["duplicate alg"] = f => SignRs(f.IssuerKey, "{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}", f.Payload()),
        ["duplicate sub"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload().TrimEnd('}') + ",\"sub\":\"admin\"}"),
        ["duplicate member in a nested object"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload().TrimEnd('}') + ",\"cnf\":{\"a\":1,\"a\":2}}"),
        ["JWE, five segments"] = f => B64(Json(new { alg = "RSA-OAEP", enc = "A256GCM", kid = "k1" })) + ".ZW5jcnlwdGVka2V5.aXY.Y2lwaGVydGV4dA.dGFn",
        ["two segments"] = f => string.Join('.', f.Valid().Split('.').Take(2)),
        ["four segments"] = f => f.Valid() + ".ZXh0cmE",
        ["bad base64 in the header"] = f => "eyJ*bGciOiJSUzI1NiJ9." + f.Valid().Split('.')[1] + "." + f.Valid().Split('.')[2],
        ["padded base64"] = f => f.Valid().Split('.')[0] + "==." + f.Valid().Split('.')[1] + "." + f.Valid().Split('.')[2],
        ["header not JSON"] = f => B64("not json") + "." + f.Valid().Split('.')[1] + "." + f.Valid().Split('.')[2],
        ["header a JSON string"] = f => SignRs(f.IssuerKey, "\"RS256\"", f.Payload()),
        ["payload invalid UTF-8"] = f => B64(f.Header()) + "." + B64([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]) + "." + f.Valid().Split('.')[2],
        ["10,000-deep JSON"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload().TrimEnd('}') + ",\"deep\":" + new string('[', 10_000) + new string(']', 10_000) + "}"),
        ["200 KB token"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["padding"] = new string('a', 200 * 1024))),
        ["expired"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["exp"] = f.Time.GetUtcNow().AddSeconds(-31).ToUnixTimeSeconds())),
        ["nbf in the future"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["nbf"] = f.Time.GetUtcNow().AddMinutes(2).ToUnixTimeSeconds())),
        ["wrong aud"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["aud"] = "other-api")),
        ["aud with a trailing slash"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["aud"] = Audience + "/")),
        ["aud array without ours"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["aud"] = new[] { "a", "b" })),
        ["no aud"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c.Remove("aud"))),
        ["wrong iss"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["iss"] = "https://issuer.test/")),
        ["iss differing in case"] = f => SignRs(f.IssuerKey, f.Header(), f.Payload(c => c["iss"] = "https://ISSUER.test")),
        ["typ JWT when at+jwt is required"] = f => SignRs(f.IssuerKey, f.Header(typ: "JWT"), f.Payload()),
        ["no typ when at+jwt is required"] = f => SignRs(f.IssuerKey, Json(new { alg = "RS256", kid = "k1" }), f.Payload()),
        ["garbage"] = f => "not-a-token",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_token_is_refused_with_401_invalid_token(string name)
    {
        var token = HostileCases[name](_fixture);
        var response = await _fixture.Client.SendAsync(Get("/api/ping", token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"error\":\"invalid_token\"", body, StringComparison.Ordinal);
        Assert.False(_fixture.Listener.Pending(), "The token made the server contact a URL from its header.");
    }

    [Fact]
    public async Task The_valid_token_the_cases_derive_from_is_accepted()
    {
        var response = await _fixture.Client.SendAsync(Get("/api/ping", _fixture.Valid()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // Built from nothing the service would accept, so there is no valid token for them to derive from.
    private static readonly HashSet<string> NotDerived = ["JWE, five segments", "garbage"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_case_derives_from_a_token_that_is_otherwise_valid(string name)
    {
        // A case must fail for its own reason: its token is built from the fixture's header and payload (so from its
        // clock, issuer and audience), and those, signed as the issuer signs, are accepted.
        var before = _fixture.Derivations;
        var token = HostileCases[name](_fixture);
        if (!NotDerived.Contains(name))
        {
            Assert.True(_fixture.Derivations > before, $"'{name}' builds its token without the fixture's header or payload.");
        }

        var baseline = _fixture.Valid(jti: null);
        Assert.NotEqual(baseline, token);
        var response = await _fixture.Client.SendAsync(Get("/api/ping", baseline));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string NoneToken(HostileTokenFixture f, string alg) =>
        B64(Json(new { alg, kid = "k1", typ = "at+jwt" })) + "." + B64(f.Payload()) + ".";

    private static string FlipSignatureBit(string token)
    {
        var parts = token.Split('.');
        var signature = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[signature.Length / 2] ^= 0x01;
        return parts[0] + "." + parts[1] + "." + B64(signature);
    }

    private static string Tamper(HostileTokenFixture f)
    {
        var parts = f.Valid().Split('.');
        var payload = f.Payload(c =>
        {
            c["jti"] = "fixed";
            c["scope"] = "reports:read orders:read admin:write";
        });
        return parts[0] + "." + B64(payload) + "." + parts[2];
    }

    private static string AttackerCertificate(RSA key)
    {
        var request = new CertificateRequest("CN=issuer.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(Start.AddDays(-1), Start.AddDays(30));
        return Convert.ToBase64String(certificate.RawData);
    }
}
