using System.Text.RegularExpressions;
using AuthPatterns.ApiKeys;

namespace AuthPatterns.Tests.ApiKeys;

public sealed class ApiKeyFormatTests
{
    [Fact]
    public void A_new_key_has_the_documented_shape_and_matches_the_scanner_pattern()
    {
        var id = ApiKeyFormat.NewKeyId();
        var key = ApiKeyFormat.Create("ak", test: false, id);

        Assert.StartsWith($"ak_live_{id}_", key, StringComparison.Ordinal);
        Assert.Equal(ApiKeyFormat.GetKeyLength("ak"), key.Length);
        Assert.Matches(new Regex(ApiKeyFormat.GetScannerPattern("ak")), key);
        Assert.True(ApiKeyFormat.TryParse(key, "ak", out var parsed));
        Assert.Equal(id, parsed.KeyId);
        Assert.False(parsed.IsTest);
        Assert.Equal(@"\bak_(?:live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}\b", ApiKeyFormat.GetScannerPattern());
    }

    [Fact]
    public void Test_keys_carry_the_test_marker()
    {
        var key = ApiKeyFormat.Create("ak", test: true, ApiKeyFormat.NewKeyId());
        Assert.StartsWith("ak_test_", key, StringComparison.Ordinal);
        Assert.True(ApiKeyFormat.TryParse(key, "ak", out var parsed));
        Assert.True(parsed.IsTest);
    }

    [Fact]
    public void Two_keys_never_share_a_secret()
    {
        var secrets = Enumerable.Range(0, 200).Select(_ => ApiKeyFormat.Create("ak", false, "AAAAAAAAAAAA")[20..]).ToHashSet();
        Assert.Equal(200, secrets.Count);
    }

    [Fact]
    public void Every_single_character_typo_is_caught_by_the_checksum_or_the_shape()
    {
        var key = ApiKeyFormat.Create("ak", test: false, ApiKeyFormat.NewKeyId());
        for (var i = 0; i < key.Length; i++)
        {
            var typo = key.ToCharArray();
            typo[i] = typo[i] == 'x' ? 'y' : 'x';
            Assert.False(ApiKeyFormat.TryParse(new string(typo), "ak", out _), $"a typo at {i} was accepted");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("ak_live_")]
    [InlineData("sk_live_abcdefghijkl_0123456789012345678901234567890123456789012345678")]
    public void Values_of_the_wrong_shape_are_refused(string value)
    {
        Assert.False(ApiKeyFormat.TryParse(value, "ak", out _));
    }

    [Fact]
    public void Oversized_non_ascii_and_wrong_prefix_values_are_refused()
    {
        var key = ApiKeyFormat.Create("ak", test: false, ApiKeyFormat.NewKeyId());
        Assert.False(ApiKeyFormat.TryParse(key + "A", "ak", out _));
        Assert.False(ApiKeyFormat.TryParse(new string('a', 100_000), "ak", out _));
        Assert.False(ApiKeyFormat.TryParse(string.Concat(key.AsSpan(0, 30), "é", key.AsSpan(31)), "ak", out _));
        Assert.False(ApiKeyFormat.TryParse(key, "xk", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("AK")]
    [InlineData("a_b")]
    [InlineData("abcdefghijklmnopq")]
    public void Invalid_prefixes_are_refused(string prefix)
    {
        Assert.Throws<ArgumentException>(() => ApiKeyFormat.ValidatePrefix(prefix));
    }

    [Fact]
    public async Task Hashes_are_phc_strings_that_verify_only_the_same_key()
    {
        var hasher = new ApiKeyHasher();
        var parameters = new Argon2Parameters(64, 1, 1);
        var key = ApiKeyFormat.Create("ak", false, ApiKeyFormat.NewKeyId());
        var phc = await hasher.HashAsync(key, parameters);

        Assert.Matches(@"^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$", phc);
        Assert.Equal((true, false), await hasher.VerifyAsync(key, phc, parameters));
        Assert.Equal((true, true), await hasher.VerifyAsync(key, phc, parameters with { MemorySize = 128 }));
        Assert.Equal((false, false), await hasher.VerifyAsync(key[..^1] + (key[^1] == 'A' ? 'B' : 'A'), phc, parameters));
        Assert.Equal((false, false), await hasher.VerifyAsync(key, "$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", parameters));
    }

    [Fact]
    public async Task The_default_parameters_are_the_owasp_ones()
    {
        var options = new ApiKeyAuthenticationOptions();
        Assert.Equal(new Argon2Parameters(19456, 2, 1), options.HashParameters);
        var phc = await new ApiKeyHasher().HashAsync("ak_live_x", options.HashParameters);
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", phc, StringComparison.Ordinal);
    }
}
