using AuthPatterns.ApiKeys;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AuthPatterns.Tests.Fuzz;

/// <summary>The <c>X-API-Key</c> and <c>Authorization: ApiKey</c> readers, on every mix of header counts and values.</summary>
public sealed class HeaderReaderFuzzTests
{
    private const string SampleKey = "ak_live_3kTq9VbX1mZp_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg0aB1cD";

    private static readonly Gen<string> AuthorizationValue = FuzzGen.Mix(
        Gen.Elements(
            "ApiKey " + SampleKey,
            "apikey " + SampleKey,
            "APIKEY   " + SampleKey + "  ",
            "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
            "Basic dXNlcjpwYXNz",
            "ApiKey",
            "ApiKey ",
            "ApiKeyX " + SampleKey));

    private static readonly Gen<string> KeyValue = FuzzGen.Mix(Gen.Constant(SampleKey));

    private static Gen<string[]> Values(Gen<string> value) =>
        Gen.Frequency((4, Gen.Constant(Array.Empty<string>())), (5, value.ArrayOf(1)), (1, Gen.Choose(2, 3).SelectMany(value.ArrayOf)));

    [Fact]
    public void Api_key_header_readers_never_throw_and_read_exactly_one_place()
    {
        var options = new ApiKeyAuthenticationOptions();
        var input = Values(KeyValue).Zip(Values(AuthorizationValue));

        FuzzRun.Check(input, t =>
        {
            var (keys, authorizations) = t;
            var context = new DefaultHttpContext();
            if (keys.Length > 0)
            {
                context.Request.Headers[options.HeaderName] = new StringValues(keys);
            }

            if (authorizations.Length > 0)
            {
                context.Request.Headers.Authorization = new StringValues(authorizations);
            }

            string? expected;
            if (keys.Length > 0)
            {
                // Several values are refused as malformed rather than guessed between.
                expected = keys.Length == 1 ? keys[0].Trim() : string.Empty;
            }
            else if (authorizations.Length == 1 && authorizations[0].StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase))
            {
                expected = authorizations[0]["ApiKey ".Length..].Trim();
            }
            else
            {
                expected = null;
            }

            var read = ApiKeyAuthenticationHandler.ReadKey(context.Request, options);
            Assert.Equal(expected, read);
            var presentsAny = keys.Length > 0 || authorizations.Any(a => a.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase));
            Assert.Equal(presentsAny, ApiKeyAuthenticationHandler.CountCredentials(context, options) > 0);
        });
    }
}
