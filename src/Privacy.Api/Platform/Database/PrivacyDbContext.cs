using Microsoft.EntityFrameworkCore;

namespace Privacy.Api.Platform.Database;

/// <summary>The service's one database context; each feature contributes its entity configurations.</summary>
public sealed class PrivacyDbContext(DbContextOptions<PrivacyDbContext> options) : DbContext(options)
{
    public const string Schema = "privacy";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PrivacyDbContext).Assembly);
    }
}
