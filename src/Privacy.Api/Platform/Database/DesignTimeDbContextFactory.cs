using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Privacy.Api.Platform.Database;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service or a database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PrivacyDbContext>
{
    public PrivacyDbContext CreateDbContext(string[] args)
    {
        var dataSource = new NpgsqlDataSourceBuilder("Host=localhost;Database=privacy_design").Build();
        var options = new DbContextOptionsBuilder<PrivacyDbContext>();
        DatabaseSetup.ConfigureDbContext(options, dataSource);
        return new PrivacyDbContext(options.Options);
    }
}
