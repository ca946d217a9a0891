using Npgsql;
using Privacy.Api.Platform.LocalPostgres;
using Testcontainers.PostgreSql;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests use, found once per test run, in order: a connection string in
/// <c>PRIVACY_TEST_POSTGRES</c>; a Testcontainers PostgreSQL where a Docker engine answers; a throwaway
/// local cluster from the machine's PostgreSQL binaries. Each test class gets a database of its own.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "PRIVACY_TEST_POSTGRES";

    private static readonly Lazy<Task<string>> Server = new(StartServerAsync);

    /// <summary>Where the server came from (for the test log).</summary>
    public static string Source { get; private set; } = "not started";

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var admin = await Server.Value;
        var name = $"{new string(prefix.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())}_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 50 }.ConnectionString;
    }

    private static async Task<string> StartServerAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            Source = EnvironmentVariable;
            return new NpgsqlConnectionStringBuilder(configured) { Database = "postgres" }.ConnectionString;
        }

        var container = await TryStartContainerAsync();
        if (container is not null)
        {
            Source = "Testcontainers";
            return new NpgsqlConnectionStringBuilder(container) { Database = "postgres" }.ConnectionString;
        }

        RemoveStoppedClusters();
        var root = Path.Combine(Path.GetTempPath(), $"privacy-tests-{Guid.NewGuid():N}");
        var cluster = LocalPostgresCluster.Start(root, "postgres");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            cluster.Stop(immediate: true);
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"Could not remove the test cluster in {root}: {e.Message}");
            }
        };
        Source = "local cluster";
        return cluster.ConnectionString("postgres");
    }

    /// <summary>
    /// Earlier runs stop their cluster at exit, but the test host may be gone before the folder is deleted:
    /// remove the folders of clusters that no longer run (a running one has its postmaster.pid).
    /// </summary>
    private static void RemoveStoppedClusters()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), "privacy-tests-*"))
        {
            if (!File.Exists(Path.Combine(folder, "pgdata", "postmaster.pid"))
                && Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddMinutes(-10)) // not one another run is creating now
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // another run may be creating it right now
                }
            }
        }
    }

    private static async Task<string?> TryStartContainerAsync()
    {
        if (!File.Exists("/var/run/docker.sock") && Environment.GetEnvironmentVariable("DOCKER_HOST") is null)
        {
            return null; // no engine to ask: skip Testcontainers' own probing
        }

        try
        {
            var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await container.StartAsync(timeout.Token);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return container.GetConnectionString();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null; // the socket exists but no engine answers
        }
    }
}
