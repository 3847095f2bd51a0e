using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace AuthServer;

/// <summary>The server's one database: ASP.NET Core Identity's users and OpenIddict's applications, authorizations and tokens.</summary>
/// <param name="options">The context options (SQLite by default).</param>
public sealed class AuthServerDbContext(DbContextOptions<AuthServerDbContext> options) : IdentityDbContext<IdentityUser>(options);
