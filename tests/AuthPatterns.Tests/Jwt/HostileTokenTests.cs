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
        ["RS256 to HS256 with the PEM as secret"] = f => SignHs(Encoding.ASCII.GetBytes(f.IssuerKey.ExportSubjectPublicKeyInfoPem()), Header(alg: "HS256"), Payload(f.Time.GetUtcNow())),
        ["RS256 to HS256 with the DER as secret"] = f => SignHs(f.IssuerKey.ExportSubjectPublicKeyInfo(), Header(alg: "HS256"), Payload(f.Time.GetUtcNow())),
        ["RS256 to HS256 with the modulus as secret"] = f => SignHs(f.IssuerKey.ExportParameters(false).Modulus!, Header(alg: "HS256"), Payload(f.Time.GetUtcNow())),
        ["embedded jwk, attacker kid"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "attacker", typ = "at+jwt", jwk = Jwk(f.AttackerKey, "attacker") }), Payload(f.Time.GetUtcNow())),
        ["embedded jwk under the known kid"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", jwk = Jwk(f.AttackerKey, "k1") }), Payload(f.Time.GetUtcNow())),
        ["jku to a loopback listener"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", jku = f.ListenerUrl }), Payload(f.Time.GetUtcNow())),
        ["jku with an unknown kid"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "from-jku", typ = "at+jwt", jku = f.ListenerUrl }), Payload(f.Time.GetUtcNow())),
        ["x5u to a loopback listener"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", x5u = f.ListenerUrl }), Payload(f.Time.GetUtcNow())),
        ["x5c with the attacker's certificate"] = f => SignRs(f.AttackerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", x5c = new[] { AttackerCertificate(f.AttackerKey) } }), Payload(f.Time.GetUtcNow())),
        ["kid path traversal"] = f => SignHs([], Header(kid: "../../../../etc/passwd", alg: "HS256"), Payload(f.Time.GetUtcNow())),
        ["kid path traversal, RS256"] = f => SignRs(f.AttackerKey, Header(kid: "../../../../dev/null"), Payload(f.Time.GetUtcNow())),
        ["kid SQL injection"] = f => SignRs(f.AttackerKey, Header(kid: "x' UNION SELECT '1';--"), Payload(f.Time.GetUtcNow())),
        ["kid prefix of a known kid"] = f => SignRs(f.AttackerKey, Header(kid: "K1"), Payload(f.Time.GetUtcNow())),
        ["attacker key under the known kid"] = f => SignRs(f.AttackerKey, Header(), Payload(f.Time.GetUtcNow())),
        ["unknown kid, valid signature by an unknown key"] = f => SignRs(f.AttackerKey, Header(kid: "bogus"), Payload(f.Time.GetUtcNow())),
        ["no kid"] = f => SignRs(f.IssuerKey, Json(new { alg = "RS256", typ = "at+jwt" }), Payload(f.Time.GetUtcNow())),
        ["kid not a string"] = f => SignRs(f.IssuerKey, Json(new { alg = "RS256", kid = 1, typ = "at+jwt" }), Payload(f.Time.GetUtcNow())),
        ["stripped signature"] = f => Valid(f)[..(Valid(f).LastIndexOf('.') + 1)],
        ["bit-flipped signature"] = f => FlipSignatureBit(Valid(f)),
        ["tampered payload"] = f => Tamper(f),
        ["ES256 when only RS256 is allowed"] = f => SignEs(f.EcKey, Header(kid: "ec1", alg: "ES256"), Payload(f.Time.GetUtcNow())),
        ["PS256 with the issuer's own key when only RS256 is allowed"] = f => SignRs(f.IssuerKey, Header(alg: "PS256"), Payload(f.Time.GetUtcNow()), padding: RSASignaturePadding.Pss),
        ["RS256 header with an RS512 signature"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow()), hash: HashAlgorithmName.SHA512),
        ["1024-bit key"] = f => SignRs(f.WeakKey, Header(kid: "weak"), Payload(f.Time.GetUtcNow())),
        ["unknown crit"] = f => SignRs(f.IssuerKey, Json(new Dictionary<string, object> { ["alg"] = "RS256", ["kid"] = "k1", ["typ"] = "at+jwt", ["crit"] = new[] { "x-unknown" }, ["x-unknown"] = 1 }), Payload(f.Time.GetUtcNow())),
        ["empty crit"] = f => SignRs(f.IssuerKey, Json(new Dictionary<string, object> { ["alg"] = "RS256", ["kid"] = "k1", ["typ"] = "at+jwt", ["crit"] = Array.Empty<string>() }), Payload(f.Time.GetUtcNow())),
        ["crit naming a registered header"] = f => SignRs(f.IssuerKey, Json(new Dictionary<string, object> { ["alg"] = "RS256", ["kid"] = "k1", ["typ"] = "at+jwt", ["crit"] = new[] { "kid" } }), Payload(f.Time.GetUtcNow())),
        ["zip header"] = f => SignRs(f.IssuerKey, Json(new { alg = "RS256", kid = "k1", typ = "at+jwt", zip = "DEF" }), Payload(f.Time.GetUtcNow())),
        ["string exp"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["exp"] = f.Time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))),
        ["exp 1e300"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow()).Replace("\"exp\":" + f.Time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds(), "\"exp\":1e300", StringComparison.Ordinal)),
        ["no exp"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c.Remove("exp"))),
        ["string nbf"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["nbf"] = "0")),
        ["iss as an array"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["iss"] = new[] { Issuer })),
        ["aud as an object"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["aud"] = new { value = Audience })),
        ["scp as a number"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["scp"] = 42)),
        ["duplicate alg"] = f => SignRs(f.IssuerKey, "{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}", Payload(f.Time.GetUtcNow())),
        ["duplicate sub"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow()).TrimEnd('}') + ",\"sub\":\"admin\"}"),
        ["duplicate member in a nested object"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow()).TrimEnd('}') + ",\"cnf\":{\"a\":1,\"a\":2}}"),
        ["JWE, five segments"] = f => B64(Json(new { alg = "RSA-OAEP", enc = "A256GCM", kid = "k1" })) + ".ZW5jcnlwdGVka2V5.aXY.Y2lwaGVydGV4dA.dGFn",
        ["two segments"] = f => string.Join('.', Valid(f).Split('.').Take(2)),
        ["four segments"] = f => Valid(f) + ".ZXh0cmE",
        ["bad base64 in the header"] = f => "eyJ*bGciOiJSUzI1NiJ9." + Valid(f).Split('.')[1] + "." + Valid(f).Split('.')[2],
        ["padded base64"] = f => Valid(f).Split('.')[0] + "==." + Valid(f).Split('.')[1] + "." + Valid(f).Split('.')[2],
        ["header not JSON"] = f => B64("not json") + "." + Valid(f).Split('.')[1] + "." + Valid(f).Split('.')[2],
        ["header a JSON string"] = f => SignRs(f.IssuerKey, "\"RS256\"", Payload(f.Time.GetUtcNow())),
        ["payload invalid UTF-8"] = f => B64(Header()) + "." + B64([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]) + "." + Valid(f).Split('.')[2],
        ["10,000-deep JSON"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow()).TrimEnd('}') + ",\"deep\":" + new string('[', 10_000) + new string(']', 10_000) + "}"),
        ["200 KB token"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["padding"] = new string('a', 200 * 1024))),
        ["expired"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["exp"] = f.Time.GetUtcNow().AddSeconds(-31).ToUnixTimeSeconds())),
        ["nbf in the future"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["nbf"] = f.Time.GetUtcNow().AddMinutes(2).ToUnixTimeSeconds())),
        ["wrong aud"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["aud"] = "other-api")),
        ["aud with a trailing slash"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["aud"] = Audience + "/")),
        ["aud array without ours"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["aud"] = new[] { "a", "b" })),
        ["no aud"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c.Remove("aud"))),
        ["wrong iss"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["iss"] = "https://issuer.test/")),
        ["iss differing in case"] = f => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["iss"] = "https://ISSUER.test")),
        ["typ JWT when at+jwt is required"] = f => SignRs(f.IssuerKey, Header(typ: "JWT"), Payload(f.Time.GetUtcNow())),
        ["no typ when at+jwt is required"] = f => SignRs(f.IssuerKey, Json(new { alg = "RS256", kid = "k1" }), Payload(f.Time.GetUtcNow())),
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
        var response = await _fixture.Client.SendAsync(Get("/api/ping", Valid(_fixture)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void Every_case_derives_from_a_token_that_is_otherwise_valid() =>
        Assert.True(HostileCases.Count >= 60);

    private static string Valid(HostileTokenFixture f) => SignRs(f.IssuerKey, Header(), Payload(f.Time.GetUtcNow(), c => c["jti"] = "fixed"));

    private static string NoneToken(HostileTokenFixture f, string alg) =>
        B64(Json(new { alg, kid = "k1", typ = "at+jwt" })) + "." + B64(Payload(f.Time.GetUtcNow())) + ".";

    private static string FlipSignatureBit(string token)
    {
        var parts = token.Split('.');
        var signature = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[signature.Length / 2] ^= 0x01;
        return parts[0] + "." + parts[1] + "." + B64(signature);
    }

    private static string Tamper(HostileTokenFixture f)
    {
        var parts = Valid(f).Split('.');
        var payload = Payload(f.Time.GetUtcNow(), c =>
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
