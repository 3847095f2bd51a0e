using Microsoft.EntityFrameworkCore;

namespace LayeredApp;

/// <summary>The app's database: the API-key tables (add your own entities here). Its schema comes from Migrations/.</summary>
public sealed class KeysDbContext(DbContextOptions<KeysDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.AddAuthPatternsApiKeys();
    }
}
