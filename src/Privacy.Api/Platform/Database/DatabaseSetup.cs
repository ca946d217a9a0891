using Microsoft.EntityFrameworkCore;
using Npgsql;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.LocalPostgres;

namespace Privacy.Api.Platform.Database;

public static class DatabaseSetup
{
    public const string ConnectionStringName = "Privacy";

    /// <summary>
    /// Registers the database: the configured connection string, or (when none is configured and the
    /// service is in Development) a private local PostgreSQL cluster that stops with the service.
    /// </summary>
    public static WebApplicationBuilder AddPrivacyDatabase(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LocalPostgresOptions>().BindConfiguration(LocalPostgresOptions.Section);
        builder.Services.AddSingleton<LocalPostgresProvisioner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LocalPostgresProvisioner>());
        builder.Services.AddSingleton(sp => new NpgsqlDataSourceBuilder(WithDefaults(ResolveConnectionString(sp))).Build());
        builder.Services.AddDbContextPool<PrivacyDbContext>((sp, options) => ConfigureDbContext(options, sp.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<DatabaseInitializer.ReadinessCheck>();
        builder.Services.AddHostedService<DatabaseInitializer>();
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<PrivacyDbContext>("database", tags: ["ready"])
            .AddCheck<DatabaseInitializer.ReadinessCheck>("migrations", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// PostgreSQL's error details are never included, whatever the connection string says: they quote row values
    /// ("Key (email)=(…) already exists") and exceptions get logged. Statements are not auto-prepared unless the connection
    /// string asks (Max Auto Prepare): in Npgsql 10.0.3, when the use that prepares a statement fails on a value (U+0000 in text,
    /// a value too long for its column; a unique violation does not do it), the connection's next use of it reads a row it does
    /// not expect ("Received unexpected backend message DataRow") and that request fails with 500. DatabaseConnectionTests shows it.
    /// </summary>
    private static string WithDefaults(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { IncludeErrorDetail = false }.ConnectionString;

    /// <summary>
    /// The configured connection string; without one (in Development only) the private local cluster's.
    /// Read when the data source is first needed, so test hosts can supply it late.
    /// </summary>
    private static string ResolveConnectionString(IServiceProvider services)
    {
        var configured = services.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        if (!services.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            // Fail closed: no database of its own outside Development. The host builds its hosted services (which take the data
            // source) before its start-up validation, which then refuses to start with this setting among every other one missing
            // (Platform/Hosting/FailClosed.cs): a name that resolves nowhere lets it get that far, and nothing ever connects to it.
            return "Host=connection-string-not-configured.invalid";
        }

        return services.GetRequiredService<LocalPostgresProvisioner>().ConnectionString();
    }

    public static void ConfigureDbContext(DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options
            .UseNpgsql(dataSource, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", PrivacyDbContext.Schema))
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(AfterCommit.Interceptor);
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

/// <summary>Starts the private local cluster on first use and stops it when the service stops (or fails to start).</summary>
internal sealed class LocalPostgresProvisioner(
    IOptions<LocalPostgresOptions> options, IHostEnvironment environment, ILogger<LocalPostgresProvisioner> logger) : IHostedService, IDisposable
{
    private readonly Lock _gate = new();
    private LocalPostgresCluster? _cluster;

    public string ConnectionString()
    {
        lock (_gate)
        {
            if (_cluster is null)
            {
                var root = Path.GetFullPath(options.Value.DataDirectory, environment.ContentRootPath);
                _cluster = LocalPostgresCluster.Start(root, options.Value.Database);
                logger.LogInformation("No connection string configured: using the private PostgreSQL cluster in {Folder} on 127.0.0.1:{Port}",
                    root, _cluster.Port);
            }

            return _cluster.ConnectionString(options.Value.Database);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _cluster?.Stop();
        }
    }
}
