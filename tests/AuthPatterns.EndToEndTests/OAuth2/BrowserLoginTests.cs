using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace AuthPatterns.EndToEndTests.OAuth2;

/// <summary>
/// The browser login of samples/LayeredApi in headless Chromium: authorization code + PKCE with ASP.NET Core's OpenID
/// Connect handler against samples/AuthServer, the access token kept in an httpOnly <c>__Host-</c> cookie that the
/// forward-auth token-cookie variant validates.
/// </summary>
[Collection(OAuth2Collection.Name)]
public sealed class BrowserLoginTests(OAuth2Stack stack)
{
    [Fact]
    public async Task A_browser_signs_in_with_code_and_PKCE_into_an_httpOnly_cookie_and_signs_out()
    {
        await using var context = await stack.NewContextAsync();
        var page = await context.NewPageAsync();
        var urls = new List<string>();
        var (validBefore, revokedBefore) = (await RefreshTokensAsync("valid"), await RefreshTokensAsync("revoked"));
        page.Request += (_, request) => urls.Add(request.Url);

        // A protected page sends the browser to /login, then to the authorization server's sign-in page.
        await page.GotoAsync(new Uri(stack.LoginApi.Address, "/app/dashboard").AbsoluteUri);
        Assert.True(page.Url.StartsWith(new Uri(stack.Issuer, "/account/signin").AbsoluteUri, StringComparison.Ordinal), $"{page.Url}\n{stack.Logs()}");
        Assert.Contains(urls, u => u.StartsWith(new Uri(stack.Issuer, "/connect/authorize").AbsoluteUri, StringComparison.Ordinal) && u.Contains("code_challenge_method=S256", StringComparison.Ordinal));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(EndToEndEnvironment.OutputDirectory, "signin.png") });

        await OAuth2Stack.SignInAsync(page);
        Assert.True(page.Url == new Uri(stack.LoginApi.Address, "/app/dashboard").AbsoluteUri, $"{page.Url}\n{stack.Logs()}");
        Assert.Contains(OAuth2Stack.DemoName, await page.ContentAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(EndToEndEnvironment.OutputDirectory, "dashboard-token-cookie.png") });

        // The cookie: __Host-, HttpOnly, Secure, SameSite=Strict, Path=/, host-only, gone when the token expires.
        var cookies = await context.CookiesAsync([stack.LoginApi.Address.AbsoluteUri]);
        var cookie = Assert.Single(cookies, c => c.Name == "__Host-access_token");
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        Assert.Equal("localhost", cookie.Domain);
        var exp = JsonDocument.Parse(ClientCredentialsTests.Base64Url(cookie.Value.Split('.')[1])).RootElement.GetProperty("exp").GetInt64();
        Assert.InRange(cookie.Expires, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), exp);
        var refresh = Assert.Single(cookies, c => c.Name == "__Host-refresh_token");
        Assert.True(refresh.HttpOnly && refresh.Secure && refresh.SameSite == SameSiteAttribute.Strict);

        // Never in JavaScript's reach, never in a URL.
        var script = await page.EvaluateAsync<string>("document.cookie");
        Assert.DoesNotContain("access_token", script, StringComparison.Ordinal);
        Assert.DoesNotContain("refresh_token", script, StringComparison.Ordinal);
        Assert.DoesNotContain(cookie.Value, script, StringComparison.Ordinal);
        Assert.DoesNotContain(urls, u => u.Contains(cookie.Value, StringComparison.Ordinal) || u.Contains("access_token", StringComparison.Ordinal) || u.Contains("refresh_token", StringComparison.Ordinal));

        // The scoped API answers the same cookie.
        var profile = await context.APIRequest.GetAsync(new Uri(stack.LoginApi.Address, "/api/profile").AbsoluteUri);
        Assert.Equal(200, profile.Status);
        Assert.Contains("\"subject\":\"demo\"", await profile.TextAsync(), StringComparison.Ordinal);
        Assert.True(validBefore + 1 == await RefreshTokensAsync("valid"), await TokenTableAsync());

        // Sign out: the refresh token is revoked at the server, the cookies are gone, the next request is not signed in.
        await page.GotoAsync(new Uri(stack.LoginApi.Address, "/logout").AbsoluteUri);
        Assert.Contains("Signed out", await page.ContentAsync(), StringComparison.Ordinal);
        var after = await context.CookiesAsync([stack.LoginApi.Address.AbsoluteUri]);
        Assert.DoesNotContain(after, c => c.Name is "__Host-access_token" or "__Host-refresh_token");
        Assert.True(validBefore == await RefreshTokensAsync("valid"), $"{await TokenTableAsync()}\n{stack.LoginApi.Output}");
        Assert.Equal(revokedBefore + 1, await RefreshTokensAsync("revoked"));

        var script401 = await context.APIRequest.GetAsync(new Uri(stack.LoginApi.Address, "/app/dashboard").AbsoluteUri, new() { MaxRedirects = 0, Headers = new Dictionary<string, string> { ["Accept"] = "application/json" } });
        Assert.Equal(401, script401.Status);
        var browser302 = await context.APIRequest.GetAsync(new Uri(stack.LoginApi.Address, "/app/dashboard").AbsoluteUri, new() { MaxRedirects = 0, Headers = new Dictionary<string, string> { ["Accept"] = "text/html" } });
        Assert.Equal(302, browser302.Status);
        Assert.StartsWith(new Uri(stack.LoginApi.Address, "/login?rd=").AbsoluteUri, browser302.Headers["location"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example/phish")]
    [InlineData("//evil.example/phish")]
    [InlineData("/\\evil.example/phish")]
    public async Task Login_never_returns_to_another_site(string rd)
    {
        await using var context = await stack.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(stack.LoginApi.Address, "/login?rd=" + Uri.EscapeDataString(rd)).AbsoluteUri);
        await OAuth2Stack.SignInAsync(page);
        Assert.StartsWith(stack.LoginApi.Address.AbsoluteUri, page.Url, StringComparison.Ordinal);
    }

    private async Task<string> TokenTableAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(stack.DataDirectory, "authserver.db")};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Type, Status, Subject FROM OpenIddictTokens";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetValue(0)} {reader.GetValue(1)} {reader.GetValue(2)}");
        }

        return string.Join('\n', rows);
    }

    /// <summary>The refresh tokens in the authorization server's store with that status (OpenIddict's token table).</summary>
    private async Task<long> RefreshTokensAsync(string status)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(stack.DataDirectory, "authserver.db")};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM OpenIddictTokens WHERE Type = 'urn:ietf:params:oauth:token-type:refresh_token' AND Status = $status AND Subject = 'demo'";
        command.Parameters.AddWithValue("$status", status);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
