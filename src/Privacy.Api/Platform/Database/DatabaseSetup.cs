using Microsoft.EntityFrameworkCore;
using Npgsql;
using Privacy.Api.Platform.LocalPostgres;

namespace Privacy.Api.Platform.Database;

public static class DatabaseSetup
{
    public const string ConnectionStringName = "Privacy";

    /// <summary>
    /// Registers the database: the configured connection string, or (when none is configured and the
    /// service is not in Production) a private local PostgreSQL cluster that stops with the service.
    /// </summary>
    public static WebApplicationBuilder AddPrivacyDatabase(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (builder.Environment.IsProduction())
            {
                throw new InvalidOperationException(
                    $"ConnectionStrings:{ConnectionStringName} is not configured (environment variable ConnectionStrings__{ConnectionStringName}).");
            }

            var options = builder.Configuration.GetSection(LocalPostgresOptions.Section).Get<LocalPostgresOptions>() ?? new();
            var root = Path.GetFullPath(options.DataDirectory, builder.Environment.ContentRootPath);
            var cluster = LocalPostgresCluster.Start(root, options.Database);
            builder.Services.AddSingleton(cluster);
            builder.Services.AddHostedService<LocalPostgresLifetime>();
            connectionString = cluster.ConnectionString(options.Database);
            builder.Configuration[$"ConnectionStrings:{ConnectionStringName}"] = connectionString;
        }

        var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddDbContext<PrivacyDbContext>(options => ConfigureDbContext(options, dataSource));
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateOnStart();
        builder.Services.AddHostedService<DatabaseInitializer>();
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<PrivacyDbContext>("database", tags: ["ready"])
            .AddCheck<DatabaseInitializer.ReadinessCheck>("migrations", tags: ["ready"]);
        builder.Services.AddSingleton<DatabaseInitializer.ReadinessCheck>();
        return builder;
    }

    public static void ConfigureDbContext(DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options
            .UseNpgsql(dataSource, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", PrivacyDbContext.Schema))
            .UseSnakeCaseNamingConvention();
}

/// <summary>Database settings.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Apply pending migrations and seed the registry at start-up (default true).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}

/// <summary>Where the run command keeps its private PostgreSQL cluster.</summary>
public sealed class LocalPostgresOptions
{
    public const string Section = "LocalPostgres";

    /// <summary>Folder of the cluster, relative to the content root; git-ignored so data survives restarts.</summary>
    public string DataDirectory { get; set; } = ".localdb";

    /// <summary>Name of the service's database in that cluster.</summary>
    public string Database { get; set; } = "privacy";
}

/// <summary>Stops the private cluster when the service stops.</summary>
internal sealed class LocalPostgresLifetime(LocalPostgresCluster cluster, ILogger<LocalPostgresLifetime> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Using the private local PostgreSQL cluster on 127.0.0.1:{Port}", cluster.Port);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        cluster.Stop();
        return Task.CompletedTask;
    }
}
