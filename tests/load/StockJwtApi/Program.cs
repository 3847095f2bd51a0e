using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

// The baseline for the layered JWT scheme: AddJwtBearer with its defaults, validating the same tokens (issuer,
// audience, RS256 keys from the same JWKS). The JWKS is read once at startup; the sample has no discovery document.
var builder = WebApplication.CreateBuilder(args);
var jwksUri = builder.Configuration["Stock:JwksUri"] ?? throw new InvalidOperationException("Stock:JwksUri is required.");
var issuer = builder.Configuration["Stock:Issuer"] ?? throw new InvalidOperationException("Stock:Issuer is required.");
var audience = builder.Configuration["Stock:Audience"] ?? throw new InvalidOperationException("Stock:Audience is required.");

using (var http = new HttpClient())
{
    var jwks = new JsonWebKeySet(await http.GetStringAsync(new Uri(jwksUri)));
    builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
        .AddJwtBearer(options => options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
}

builder.Services.AddAuthorization();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapGet("/ping", () => "pong").AllowAnonymous();
app.MapGet("/api/ping", () => "pong").RequireAuthorization();
await app.RunAsync();
