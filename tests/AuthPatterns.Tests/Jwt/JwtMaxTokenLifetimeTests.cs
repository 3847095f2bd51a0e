using System.Net;
using System.Security.Cryptography;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Jwt;

/// <summary><see cref="JwtAuthenticationOptions.MaxTokenLifetime"/>: a token minted to live longer is refused, whatever it has left.</summary>
public sealed class JwtMaxTokenLifetimeTests : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _key.Dispose();

    private string Token(Action<Dictionary<string, object>> change) => SignRs(_key, Header(), Payload(_time.GetUtcNow(), change));

    private Task<WebApplication> StartAsync(TimeSpan? maxLifetime) =>
        StartHostAsync(new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_key, "k1"))), _time, o => o.MaxTokenLifetime = maxLifetime);

    private long At(TimeSpan offset) => _time.GetUtcNow().Add(offset).ToUnixTimeSeconds();

    [Fact]
    public async Task MaxTokenLifetime_accepts_a_five_minute_token()
    {
        await using var app = await StartAsync(TimeSpan.FromMinutes(10));

        var response = await app.Client().SendAsync(Get("/api/ping", Token(_ => { })));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MaxTokenLifetime_refuses_a_token_minted_for_an_hour_even_in_its_last_minutes()
    {
        await using var app = await StartAsync(TimeSpan.FromMinutes(10));

        var response = await app.Client().SendAsync(Get("/api/ping", Token(c =>
        {
            c["iat"] = At(TimeSpan.FromMinutes(-55));
            c["exp"] = At(TimeSpan.FromMinutes(5));
        })));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task MaxTokenLifetime_refuses_a_token_without_iat_that_has_an_hour_left()
    {
        await using var app = await StartAsync(TimeSpan.FromMinutes(10));

        var response = await app.Client().SendAsync(Get("/api/ping", Token(c =>
        {
            c.Remove("iat");
            c["exp"] = At(TimeSpan.FromHours(1));
        })));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task MaxTokenLifetime_unset_accepts_an_hour_long_token()
    {
        await using var app = await StartAsync(maxLifetime: null);

        var response = await app.Client().SendAsync(Get("/api/ping", Token(c => c["exp"] = At(TimeSpan.FromHours(1)))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    [InlineData(25 * 3600)]
    public void MaxTokenLifetime_out_of_range_is_a_configuration_error_naming_the_option(int seconds)
    {
        var options = new JwtAuthenticationOptions { JwksUri = JwksUri, Issuer = Issuer, Audience = Audience, MaxTokenLifetime = TimeSpan.FromSeconds(seconds) };

        var error = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.StartsWith("LayeredAuth:Jwt:MaxTokenLifetime", error.Message, StringComparison.Ordinal);
    }
}
