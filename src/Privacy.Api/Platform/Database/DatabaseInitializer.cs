using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Privacy.Api.Platform.Database;

/// <summary>Seeds reference data idempotently after migrations; runs under the migration lock.</summary>
public interface IDatabaseSeeder
{
    Task SeedAsync(PrivacyDbContext db, CancellationToken cancellationToken);
}

/// <summary>
/// Applies the committed migrations and runs every <see cref="IDatabaseSeeder"/> at start-up, holding a
/// PostgreSQL advisory lock so replicas starting together take turns instead of racing.
/// </summary>
public sealed class DatabaseInitializer(
    IServiceScopeFactory scopes,
    NpgsqlDataSource dataSource,
    IOptions<DatabaseOptions> options,
    DatabaseInitializer.ReadinessCheck readiness,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    /// <summary>Advisory lock key: the first 8 bytes of "privacy-migrations" as a number.</summary>
    public const long MigrationLockKey = 0x7072697661637921;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.MigrateOnStartup)
        {
            readiness.MarkReady();
            return;
        }

        // The lock is held by a connection of its own for the whole migrate-and-seed step.
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var acquire = new NpgsqlCommand("SELECT pg_advisory_lock($1)", lockConnection))
        {
            acquire.Parameters.AddWithValue(MigrationLockKey);
            // Wait as long as the replica holding the lock takes to migrate and seed (the start-up probe bounds it), not the default
            // 30 s command timeout, after which a waiting replica would crash at start-up instead.
            acquire.CommandTimeout = 0;
            await acquire.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
            // On a new database the provider would log a failed read of the missing history table before creating it
            // (npgsql/efcore.pg#3407), a "fail:" line on every first start: the table is created first, as the provider would.
            await db.Database.ExecuteSqlRawAsync(
                db.GetService<Microsoft.EntityFrameworkCore.Migrations.IHistoryRepository>().GetCreateIfNotExistsScript(), cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
            logger.LogInformation("Database schema is at migration {Migration}", db.Database.GetMigrations().LastOrDefault());

            foreach (var seeder in scope.ServiceProvider.GetServices<IDatabaseSeeder>())
            {
                await seeder.SeedAsync(db, cancellationToken);
            }
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", lockConnection);
            release.Parameters.AddWithValue(MigrationLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }

        readiness.MarkReady();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ready only once migrations and seeds have been applied by this instance.</summary>
    public sealed class ReadinessCheck : IHealthCheck
    {
        private volatile bool _ready;

        public void MarkReady() => _ready = true;

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(_ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("Migrations have not been applied yet."));
    }
}
