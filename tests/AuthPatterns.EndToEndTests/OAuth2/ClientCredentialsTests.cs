using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AuthPatterns.EndToEndTests.OAuth2;

/// <summary>Partners and services: a client-credentials token from samples/AuthServer, accepted by samples/LayeredApi through discovery.</summary>
[Collection(OAuth2Collection.Name)]
public sealed class ClientCredentialsTests(OAuth2Stack stack)
{
    [Fact]
    public async Task A_client_credentials_token_reaches_its_scoped_endpoint_and_gets_403_insufficient_scope_elsewhere()
    {
        var token = await TokenAsync("partner", OAuth2Stack.PartnerSecret, "reports:read");
        var header = JsonDocument.Parse(Base64Url(token.Split('.')[0])).RootElement;
        var payload = JsonDocument.Parse(Base64Url(token.Split('.')[1])).RootElement;
        Assert.Equal("RS256", header.GetProperty("alg").GetString());
        Assert.Equal("at+jwt", header.GetProperty("typ").GetString());
        Assert.Equal("layered-api", payload.GetProperty("aud").GetString());
        Assert.Equal(stack.Issuer.AbsoluteUri, payload.GetProperty("iss").GetString());

        using var reports = await GetAsync("/internal/reports", token);
        Assert.True(reports.StatusCode == HttpStatusCode.OK, stack.Logs());
        Assert.Contains("\"caller\":\"partner\"", await reports.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var profile = await GetAsync("/api/profile", token);
        Assert.Equal(HttpStatusCode.Forbidden, profile.StatusCode);
        Assert.Contains("insufficient_scope", profile.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_service_client_gets_its_own_scopes()
    {
        var token = await TokenAsync("service", OAuth2Stack.ServiceSecret, "profile:read");
        using var profile = await GetAsync("/api/profile", token);
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Contains("\"subject\":\"service\"", await profile.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("partner", OAuth2Stack.PartnerSecret, "profile:read", "invalid_request")] // a scope it is not allowed
    [InlineData("partner", "wrong-secret", "reports:read", "invalid_client")]
    [InlineData("spa", null, "profile:read", "invalid_request")] // a public client: no client credentials grant
    public async Task A_client_gets_no_token_beyond_its_registration(string clientId, string? secret, string scope, string error)
    {
        using var response = await TokenResponseAsync(clientId, secret, scope);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, body);
        Assert.DoesNotContain("access_token", body, StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString() == error, body);
    }

    [Fact]
    public async Task The_password_and_implicit_grants_are_refused()
    {
        using var client = new HttpClient();
        using var password = await client.PostAsync(new Uri(stack.Issuer, "/connect/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = "partner",
            ["client_secret"] = OAuth2Stack.PartnerSecret,
            ["username"] = OAuth2Stack.DemoUser,
            ["password"] = OAuth2Stack.DemoPassword,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, password.StatusCode);
        Assert.Contains("unsupported_grant_type", await password.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var discovery = JsonDocument.Parse(await client.GetStringAsync(new Uri(stack.Issuer, "/.well-known/openid-configuration")));
        string[] Values(string name) => [.. discovery.RootElement.GetProperty(name).EnumerateArray().Select(g => g.GetString()!).Order()];
        Assert.Equal(["authorization_code", "client_credentials", "refresh_token"], Values("grant_types_supported"));
        Assert.Equal(["code"], Values("response_types_supported"));
        Assert.Equal(["S256"], Values("code_challenge_methods_supported"));
    }

    [Fact]
    public async Task Introspection_and_revocation_are_on()
    {
        var token = await TokenAsync("service", OAuth2Stack.ServiceSecret, "reports:read");
        using var client = new HttpClient();
        using var introspection = await client.PostAsync(new Uri(stack.Issuer, "/connect/introspect"), Form("service", OAuth2Stack.ServiceSecret, token));
        Assert.Contains("\"active\": true", await introspection.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var revocation = await client.PostAsync(new Uri(stack.Issuer, "/connect/revoke"), Form("service", OAuth2Stack.ServiceSecret, token));
        Assert.Equal(HttpStatusCode.OK, revocation.StatusCode);
        using var after = await client.PostAsync(new Uri(stack.Issuer, "/connect/introspect"), Form("service", OAuth2Stack.ServiceSecret, token));
        Assert.Contains("\"active\": false", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static FormUrlEncodedContent Form(string clientId, string secret, string token) => new(new Dictionary<string, string>
    {
        ["client_id"] = clientId,
        ["client_secret"] = secret,
        ["token"] = token,
    });

    private async Task<string> TokenAsync(string clientId, string secret, string scope)
    {
        using var response = await TokenResponseAsync(clientId, secret, scope);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    private async Task<HttpResponseMessage> TokenResponseAsync(string clientId, string? secret, string scope)
    {
        using var client = new HttpClient();
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["scope"] = scope };
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }

        return await client.PostAsync(new Uri(stack.Issuer, "/connect/token"), new FormUrlEncodedContent(form));
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string token)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(stack.LoginApi.Address, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    internal static string Base64Url(string segment) =>
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(segment.Replace('-', '+').Replace('_', '/').PadRight(segment.Length + ((4 - (segment.Length % 4)) % 4), '=')));
}
