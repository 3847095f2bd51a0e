using System.Text;
using System.Text.Json;
using AuthPatterns.Jwt;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Tests.Fuzz;

/// <summary>The JWT structure validator on segments and JSON: hostile shapes never throw, and each class gets its refusal.</summary>
public sealed class JwtStructureFuzzTests
{
    private static readonly JwtStructureValidator Validator = new(new JwtAuthenticationOptions { RequiredTokenType = "at+jwt" });

    private static readonly Gen<string> HeaderJson = FuzzGen.Mix(
        Gen.Elements(
            """{"alg":"RS256","kid":"k1","typ":"at+jwt"}""",
            """{"typ":"application/at+jwt","kid":"2024-05","alg":"RS256"}""",
            """{"alg":"RS256","kid":"k1","typ":"at+jwt","jku":"https://evil.test/jwks","x5u":"https://evil.test/c"}"""),
        validWeight: 3,
        mutatedWeight: 6,
        randomWeight: 1);

    private static readonly Gen<string> PayloadJson = FuzzGen.Mix(
        Gen.Elements(
            """{"iss":"https://issuer.test","aud":"orders-api","sub":"svc","exp":1767225900,"scope":"a b"}""",
            """{"aud":["x","orders-api"],"exp":1767225900.5,"nbf":0,"scp":["a","b"],"nested":{"a":{"b":[1,2,{"c":null}]}}}"""),
        validWeight: 3,
        mutatedWeight: 6,
        randomWeight: 1);

    private static readonly Gen<string> Signature = FuzzGen.StringOf(
        Gen.Elements("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".ToCharArray()), 1, 400);

    private static readonly Gen<string> Token = Gen.Frequency(
        (6, from h in HeaderJson from p in PayloadJson from s in Signature select B64(h) + "." + B64(p) + "." + s),
        (3, FuzzGen.Mutated(from h in HeaderJson from p in PayloadJson from s in Signature select B64(h) + "." + B64(p) + "." + s)),
        (1, FuzzGen.RandomText));

    private static string B64(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Jwt_structure_validator_never_throws_and_accepts_only_compact_jws_with_the_documented_members()
    {
        FuzzRun.Check(Token, token =>
        {
            var refusal = Validator.Validate(token, out var header);
            if (refusal != JwtRefusal.None)
            {
                if (token.Length > Validator.MaxTokenSize)
                {
                    Assert.Equal(JwtRefusal.TooLarge, refusal);
                }

                if (token.Length <= Validator.MaxTokenSize && token.Count(c => c == '.') != 2)
                {
                    Assert.Equal(JwtRefusal.NotCompactJws, refusal);
                }

                return;
            }

            // Accepted: check, without the validator, everything it promises.
            var parts = token.Split('.');
            Assert.Equal(3, parts.Length);
            Assert.All(parts, part => Assert.Matches("^[A-Za-z0-9_-]+$", part));
            using var head = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[0]));
            Assert.Equal("RS256", head.RootElement.GetProperty("alg").GetString());
            Assert.Equal(header.KeyId, head.RootElement.GetProperty("kid").GetString());
            Assert.False(string.IsNullOrEmpty(header.KeyId));
            Assert.False(head.RootElement.TryGetProperty("crit", out _));
            Assert.False(head.RootElement.TryGetProperty("zip", out _));
            Assert.Contains(head.RootElement.GetProperty("typ").GetString(), new[] { "at+jwt", "application/at+jwt" }, StringComparer.OrdinalIgnoreCase);
            using var body = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[1]));
            Assert.Equal(JsonValueKind.Number, body.RootElement.GetProperty("exp").ValueKind);
        });
    }

    [Fact]
    public void Jwt_structure_validator_gives_each_hostile_class_its_refusal()
    {
        const string Header = """{"alg":"RS256","kid":"k1","typ":"at+jwt"}""";
        const string Payload = """{"iss":"https://issuer.test","exp":1767225900}""";
        var name = FuzzGen.StringOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz_".ToCharArray()), 1, 12)
            .Where(n => n is not ("exp" or "nbf" or "iat" or "iss" or "sub" or "jti" or "client_id" or "scope" or "aud" or "scp"));
        var cases = Gen.OneOf(
            from n in name select (B64(Header) + "." + B64($$"""{"exp":1,"{{n}}":1,"{{n}}":2}""") + ".c2ln", JwtRefusal.DuplicateMember),
            from alg in Gen.Elements("none", "HS256", "RS384", "ES256", "rs256", "RS256 ", "") select (B64($$"""{"alg":"{{alg}}","kid":"k1","typ":"at+jwt"}""") + "." + B64(Payload) + ".c2ln", JwtRefusal.AlgorithmNotAllowed),
            from exp in Gen.Elements("\"1767225900\"", "null", "true", "[1]", "{}", "1e300", "-1") select (B64(Header) + "." + B64($$"""{"exp":{{exp}}}""") + ".c2ln", JwtRefusal.BadClaimType),
            from n in name select (B64(Header) + "." + B64($$"""{"{{n}}":1}""") + ".c2ln", JwtRefusal.MissingExpiration),
            from crit in Gen.Elements("[]", "[\"exp\"]", "\"x\"") select (B64($$"""{"alg":"RS256","kid":"k1","typ":"at+jwt","crit":{{crit}}}""") + "." + B64(Payload) + ".c2ln", JwtRefusal.CriticalHeader),
            from dots in Gen.Elements("..", ".", "....", "a..b", ".a.b", "a.b.", "a.b.c.d", "a.b.c.d.e") select (dots, JwtRefusal.NotCompactJws),
            from n in Gen.Choose(Validator.MaxTokenSize + 1, Validator.MaxTokenSize + 64) select (B64(Header) + "." + B64(Payload) + "." + new string('A', n), JwtRefusal.TooLarge));

        FuzzRun.Check(cases, t => Assert.Equal(t.Item2, Validator.Validate(t.Item1, out _)));
    }
}
