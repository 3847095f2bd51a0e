using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace AuthPatterns.EndToEndTests.OAuth2;

/// <summary>
/// The authorization endpoint sends a code only to a redirect URI registered for the client, compared exactly: the
/// usual bypasses of prefix, host or case-insensitive matching are refused with an error page, never a redirect.
/// </summary>
[Collection(OAuth2Collection.Name)]
public sealed class RedirectUriTests(OAuth2Stack stack)
{
    private static readonly string Verifier = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    private static readonly string Challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private Uri Registered => new(stack.LoginApi.Address, "/signin-oidc");

    public static TheoryData<string> HostileRedirectUris => new()
    {
        "another path",
        "a deeper path",
        "a sub-domain",
        "an added query",
        "an added fragment",
        "different case in the host",
        "different case in the path",
        "another localhost port",
        "127.0.0.1 for localhost",
        "https for http",
        "a trailing slash",
        "an encoded slash",
        "a dot segment",
        "user info",
        "another host",
    };

    private string Hostile(string name)
    {
        var port = stack.LoginApi.Address.Port;
        return name switch
        {
            "another path" => $"http://localhost:{port}/other",
            "a deeper path" => $"http://localhost:{port}/signin-oidc/evil",
            "a sub-domain" => $"http://evil.localhost:{port}/signin-oidc",
            "an added query" => $"http://localhost:{port}/signin-oidc?next=https://evil.example",
            "an added fragment" => $"http://localhost:{port}/signin-oidc#evil",
            "different case in the host" => $"http://LOCALHOST:{port}/signin-oidc",
            "different case in the path" => $"http://localhost:{port}/SIGNIN-OIDC",
            "another localhost port" => $"http://localhost:{(port == 65535 ? port - 1 : port + 1)}/signin-oidc",
            "127.0.0.1 for localhost" => $"http://127.0.0.1:{port}/signin-oidc",
            "https for http" => $"https://localhost:{port}/signin-oidc",
            "a trailing slash" => $"http://localhost:{port}/signin-oidc/",
            "an encoded slash" => $"http://localhost:{port}/signin-oidc%2F..%2F..%2Fevil",
            "a dot segment" => $"http://localhost:{port}/evil/../signin-oidc",
            "user info" => $"http://evil.example@localhost:{port}/signin-oidc",
            "another host" => "https://evil.example/signin-oidc",
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Fact]
    public async Task The_registered_redirect_uri_is_accepted()
    {
        using var response = await AuthorizeAsync(Registered.AbsoluteUri);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(new Uri(stack.Issuer, "/account/signin").AbsoluteUri, response.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HostileRedirectUris))]
    public async Task A_hostile_redirect_uri_is_refused_without_a_redirect(string bypass)
    {
        var uri = Hostile(bypass);
        using var response = await AuthorizeAsync(uri);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("the verifier itself", "plain")]
    public async Task An_authorization_request_without_an_S256_code_challenge_is_refused(string? challenge, string? method)
    {
        using var response = await AuthorizeAsync(Registered.AbsoluteUri, challenge, method);
        Assert.NotEqual(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Theory]
    [InlineData("token")]
    [InlineData("id_token")]
    [InlineData("code token")]
    public async Task The_implicit_and_hybrid_response_types_are_refused(string responseType)
    {
        using var response = await AuthorizeAsync(Registered.AbsoluteUri, responseType: responseType);
        Assert.NotEqual(HttpStatusCode.Redirect, response.StatusCode);
    }

    private async Task<HttpResponseMessage> AuthorizeAsync(string redirectUri, string? challenge = "", string? method = "S256", string responseType = "code")
    {
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = "layered-web",
            ["response_type"] = responseType,
            ["scope"] = "openid profile",
            ["redirect_uri"] = redirectUri,
            ["state"] = "state-1",
            ["nonce"] = "nonce-1",
            ["code_challenge"] = challenge switch { "" => Challenge, "the verifier itself" => Verifier, _ => challenge },
            ["code_challenge_method"] = method,
        };
        var url = new Uri(stack.Issuer, "/connect/authorize?" + string.Join('&', query.Where(p => p.Value is not null).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}")));
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        return await client.GetAsync(url);
    }
}
