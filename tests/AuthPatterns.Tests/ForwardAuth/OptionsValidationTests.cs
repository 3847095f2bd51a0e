using AuthPatterns.ForwardAuth;

namespace AuthPatterns.Tests.ForwardAuth;

public sealed class OptionsValidationTests
{
    private static ForwardAuthAuthenticationOptions Valid()
    {
        var options = new ForwardAuthAuthenticationOptions { VerifyUrl = new Uri("https://auth.example.com/api/authz/forward-auth") };
        options.AllowedHosts.Add("app.example.com");
        return options;
    }

    private static string Fails(Action<ForwardAuthAuthenticationOptions> change)
    {
        var options = Valid();
        change(options);
        new PostConfigureForwardAuthAuthenticationOptions().PostConfigure(null, options);
        return Assert.Throws<InvalidOperationException>(options.Validate).Message;
    }

    [Fact]
    public void Defaults_with_a_verify_url_are_valid_and_use_Authelia_names()
    {
        var options = Valid();
        new PostConfigureForwardAuthAuthenticationOptions().PostConfigure(null, options);
        options.Validate();
        Assert.Equal("authelia_session", options.CookieName);
        Assert.Equal("Remote-User", options.UserHeader);
    }

    [Fact]
    public void Explicit_names_win_over_the_preset_whatever_the_order()
    {
        var options = new ForwardAuthAuthenticationOptions { CookieName = "__Host-oauth2" }.UseOAuth2Proxy(new Uri("https://oauth2.example.com"));
        new PostConfigureForwardAuthAuthenticationOptions().PostConfigure(null, options);
        Assert.Equal("__Host-oauth2", options.CookieName);
        Assert.Equal("X-Auth-Request-User", options.UserHeader);
        Assert.Equal("X-Auth-Request-Preferred-Username", options.NameHeader);
        Assert.Equal(new Uri("https://oauth2.example.com/oauth2/auth"), options.VerifyUrl);
        Assert.Equal(new Uri("https://oauth2.example.com/oauth2/start"), options.PortalUrl);
        Assert.Equal(new Uri("https://oauth2.example.com/oauth2/sign_out"), options.LogoutUrl);
    }

    [Fact]
    public void Authelia_preset_derives_its_endpoints_from_the_portal_url()
    {
        var options = new ForwardAuthAuthenticationOptions().UseAuthelia(new Uri("https://auth.example.com/authelia"));
        Assert.Equal(new Uri("https://auth.example.com/authelia/api/authz/forward-auth"), options.VerifyUrl);
        Assert.Equal(new Uri("https://auth.example.com/authelia/logout"), options.LogoutUrl);
    }

    [Theory]
    [InlineData("VerifyUrl")]
    [InlineData("PortalUrl")]
    [InlineData("VerifyTimeout")]
    [InlineData("CacheDuration")]
    [InlineData("NotSignedInCacheDuration")]
    [InlineData("MaxConcurrentVerifications")]
    [InlineData("MaxVerificationsPerSecond")]
    [InlineData("GroupScopes:admins")]
    [InlineData("TokenCookieName")]
    [InlineData("AllowedHosts")]
    [InlineData("CookieName")]
    public void Each_mistake_names_its_option(string option)
    {
        Action<ForwardAuthAuthenticationOptions> change = option switch
        {
            "VerifyUrl" => o => o.VerifyUrl = null,
            "PortalUrl" => o => o.PortalUrl = new Uri("ftp://auth.example.com/"),
            "VerifyTimeout" => o => o.VerifyTimeout = TimeSpan.Zero,
            "CacheDuration" => o => o.CacheDuration = TimeSpan.FromHours(1),
            "NotSignedInCacheDuration" => o => o.NotSignedInCacheDuration = TimeSpan.FromMinutes(2),
            "MaxConcurrentVerifications" => o => o.MaxConcurrentVerifications = 0,
            "MaxVerificationsPerSecond" => o => o.MaxVerificationsPerSecond = 0,
            "GroupScopes:admins" => o => o.GroupScopes["admins"] = "orders:\"write",
            "TokenCookieName" => o => o.TokenCookieName = "access_token",
            "AllowedHosts" => o => o.AllowedHosts.Clear(),
            "CookieName" => o => o.CookieName = "a b",
            _ => throw new ArgumentOutOfRangeException(nameof(option)),
        };

        Assert.StartsWith($"LayeredAuth:ForwardAuth:{option} ", Fails(change), StringComparison.Ordinal);
    }

    [Fact]
    public void MapGroup_refuses_an_invalid_scope_and_appends_to_configured_ones()
    {
        var options = Valid();
        options.GroupScopes["admins"] = "orders:read";
        options.MapGroup("admins", "orders:write");
        Assert.Equal("orders:read orders:write", options.GroupScopes["admins"]);
        Assert.Throws<ArgumentException>(() => options.MapGroup("admins", "has space"));
    }
}
