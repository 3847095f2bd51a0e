using System.Text.RegularExpressions;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tests.ApiKeys;
using FsCheck;
using FsCheck.Fluent;

namespace AuthPatterns.Tests.Fuzz;

/// <summary>The API-key format parser against an independent oracle of the documented shape, and the verifier's no-I/O promise.</summary>
public sealed class ApiKeyFormatFuzzTests
{
    private static readonly Gen<char> Base62 = Gen.Elements(ApiKeyFormat.Alphabet.ToCharArray());

    private static readonly Gen<string> Prefix = Gen.Frequency(
        (3, Gen.Constant(ApiKeyFormat.DefaultPrefix)),
        (1, FuzzGen.StringOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789".ToCharArray()), 1, ApiKeyFormat.MaxPrefixLength)));

    /// <summary>A well-formed key built from seeded parts, its checksum computed here (base62 of the CRC32, 6 digits).</summary>
    private static Gen<(string Key, string Prefix, string Id, bool Test)> WellFormed(Gen<string> prefix) =>
        from p in prefix
        from test in ArbMap.Default.GeneratorFor<bool>()
        from id in FuzzGen.StringOf(Base62, ApiKeyFormat.KeyIdLength, ApiKeyFormat.KeyIdLength)
        from secret in FuzzGen.StringOf(Base62, ApiKeyFormat.SecretLength, ApiKeyFormat.SecretLength)
        let body = $"{p}_{(test ? "test" : "live")}_{id}_{secret}"
        select (body + Checksum(body), p, id, test);

    private static string Checksum(string body)
    {
        var value = (ulong)Crc32.Compute(body);
        var chars = new char[ApiKeyFormat.ChecksumLength];
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            chars[i] = ApiKeyFormat.Alphabet[(int)(value % 62)];
            value /= 62;
        }

        return new string(chars);
    }

    /// <summary>The documented shape, checked without the parser: prefix, marker, 12 + 49 base62 characters, checksum.</summary>
    private static bool Oracle(string value, string prefix)
    {
        return Regex.IsMatch(value, $"^{Regex.Escape(prefix)}_(live|test)_[0-9A-Za-z]{{12}}_[0-9A-Za-z]{{49}}\\z", RegexOptions.CultureInvariant) && string.Equals(value[^6..], Checksum(value[..^6]), StringComparison.Ordinal);
    }

    [Fact]
    public void Api_key_parser_accepts_exactly_the_documented_shape_with_a_valid_checksum()
    {
        var input =
            from prefix in Prefix
            from value in FuzzGen.Mix(WellFormed(Gen.Constant(prefix)).Select(k => k.Key))
            select (prefix, value);

        FuzzRun.Check(input, t =>
        {
            var parsed = ApiKeyFormat.TryParse(t.value, t.prefix, out var key);
            Assert.Equal(Oracle(t.value, t.prefix), parsed);
            Assert.Equal(parsed, ApiKeyFormat.IsWellFormed(t.value, t.prefix));
            if (parsed)
            {
                Assert.Equal(t.value.Substring(t.prefix.Length + 6, ApiKeyFormat.KeyIdLength), key.KeyId);
            }
        });
    }

    [Fact]
    public void Api_key_generated_well_formed_keys_round_trip_and_match_the_scanner_pattern()
    {
        FuzzRun.Check(WellFormed(Prefix), k =>
        {
            Assert.True(ApiKeyFormat.TryParse(k.Key, k.Prefix, out var parsed));
            Assert.Equal(k.Id, parsed.KeyId);
            Assert.Equal(k.Test, parsed.IsTest);
            Assert.Equal(ApiKeyFormat.GetKeyLength(k.Prefix), k.Key.Length);
            Assert.Matches(ApiKeyFormat.GetScannerPattern(k.Prefix), k.Key);

            var created = ApiKeyFormat.Create(k.Prefix, k.Test, k.Id);
            Assert.True(ApiKeyFormat.TryParse(created, k.Prefix, out var again));
            Assert.Equal(k.Id, again.KeyId);
        });
    }

    [Fact]
    public async Task Api_key_mutated_checksum_or_shape_is_refused_as_malformed_without_store_io()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        Assert.Equal(ApiKeyOutcomes.Valid, (await app.Verifier.VerifyAsync(created.Key, System.Net.IPAddress.Loopback, CancellationToken.None)).Outcome);
        var real = Gen.Constant(created.Key);
        var input = FuzzGen.Mix(Gen.OneOf(real, WellFormed(Gen.Constant(ApiKeyFormat.DefaultPrefix)).Select(k => k.Key)), validWeight: 1, mutatedWeight: 8, randomWeight: 1);

        FuzzRun.Check(input, value =>
        {
            var lookups = app.Store.LookupCount;
            var verification = app.Verifier.VerifyAsync(value, System.Net.IPAddress.Loopback, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (!Oracle(value, ApiKeyFormat.DefaultPrefix))
            {
                Assert.Equal(ApiKeyOutcomes.Malformed, verification.Outcome);
                Assert.Null(verification.KeyId);
                Assert.Equal(lookups, app.Store.LookupCount);
            }
            else
            {
                Assert.NotEqual(ApiKeyOutcomes.Malformed, verification.Outcome);
                Assert.Equal(value == created.Key, verification.Outcome == ApiKeyOutcomes.Valid);
            }
        });
    }
}
