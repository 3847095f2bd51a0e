using System.Security.Claims;
using AuthPatterns.Authorization;
using FsCheck;
using FsCheck.Fluent;

namespace AuthPatterns.Tests.Fuzz;

/// <summary>Scope strings: the claim normalizer and the scope policy names.</summary>
public sealed class ScopeFuzzTests
{
    private static readonly Gen<string> ScopeString = FuzzGen.Mix(
        Gen.Elements("profile:read", "profile:read reports:read", "orders:read\torders:write", " a  b ", "reports:read\u00a0", "\u2003reports:read", "a\"b", "a\\b", "", " "),
        validWeight: 4,
        mutatedWeight: 5,
        randomWeight: 1);

    private static readonly Gen<(string Type, string Value)[]> Claims = Gen.Choose(0, 4).SelectMany(n =>
        Gen.Elements(LayeredClaimTypes.Scope, ScopeClaimNormalizer.ScpClaimType, "http://schemas.microsoft.com/identity/claims/scope", "role")
            .Zip(ScopeString)
            .ArrayOf(n));

    private static ClaimsIdentity Identity((string Type, string Value)[] claims) =>
        new(claims.Select(c => new Claim(c.Type, c.Value)), "test");

    private static string[] Scopes(ClaimsIdentity identity) =>
        [.. identity.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value)];

    [Fact]
    public void Scope_normalizer_never_throws_is_idempotent_and_yields_one_distinct_token_per_claim()
    {
        FuzzRun.Check(Claims, claims =>
        {
            var identity = Identity(claims);
            ScopeClaimNormalizer.Normalize(identity);
            var once = Scopes(identity);
            ScopeClaimNormalizer.Normalize(identity);
            Assert.Equal(once, Scopes(identity));
            Assert.Equal(once.Length, once.Distinct(StringComparer.Ordinal).Count());
            Assert.All(once, s => Assert.True(s.Length > 0 && s.IndexOfAny([' ', '\t']) < 0, s));
            Assert.Empty(identity.FindAll(ScopeClaimNormalizer.ScpClaimType));
            Assert.Equal(claims.Count(c => c.Type == "role"), identity.FindAll("role").Count());
        });
    }

    [Fact]
    public void Scope_normalizer_unicode_whitespace_scope_tokens_are_invalid_never_trimmed_into_validity()
    {
        FuzzRun.Check(Claims, claims =>
        {
            var identity = Identity(claims);
            ScopeClaimNormalizer.Normalize(identity);
            var tokens = claims
                .Where(c => c.Type != "role")
                .SelectMany(c => c.Value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var scope in Scopes(identity))
            {
                Assert.True(ScopeClaimNormalizer.IsValidScope(scope), $"'{scope}' is not a valid scope");
                Assert.Contains(scope, tokens);
            }
        });
    }

    [Fact]
    public void Scope_policy_names_parse_to_valid_scopes_or_fail_with_argument_exception()
    {
        var input =
            from prefix in Gen.Elements(ScopePolicyNames.AllOfPrefix, ScopePolicyNames.AnyOfPrefix)
            from scopes in ScopeString
            select prefix + scopes;

        FuzzRun.Check(input, name =>
        {
            ScopePolicyNames.ParsedPolicy parsed;
            try
            {
                parsed = ScopePolicyNames.Parse(name);
            }
            catch (ArgumentException)
            {
                return;
            }

            Assert.NotNull(parsed.Scope);
            Assert.NotEmpty(parsed.Scope.Scopes);
            Assert.All(parsed.Scope.Scopes, s => Assert.True(ScopeClaimNormalizer.IsValidScope(s), s));
            Assert.Equal(name.StartsWith(ScopePolicyNames.AnyOfPrefix, StringComparison.Ordinal) ? ScopeMatch.Any : ScopeMatch.All, parsed.Scope.Match);
        });
    }
}
