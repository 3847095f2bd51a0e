using Microsoft.EntityFrameworkCore;

namespace AuthPatterns.EntityFrameworkCore;

/// <summary>
/// A context holding only the API-key model, for applications (and the <c>authpatterns</c> tool) that keep keys in a
/// database of their own. Applications with a context of their own call
/// <see cref="ApiKeyModelBuilderExtensions.AddAuthPatternsApiKeys"/> from it instead.
/// </summary>
public class ApiKeyDbContext : DbContext
{
    /// <summary>Creates the context.</summary>
    /// <param name="options">The options.</param>
    public ApiKeyDbContext(DbContextOptions<ApiKeyDbContext> options)
        : base(options)
    {
    }

    /// <summary>Creates the context for a derived type.</summary>
    /// <param name="options">The options.</param>
    protected ApiKeyDbContext(DbContextOptions options)
        : base(options)
    {
    }

    /// <inheritdoc/>
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.AddAuthPatternsApiKeys();
    }
}
