using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace Privacy.Api.Platform.LocalPostgres;

/// <summary>
/// A private PostgreSQL cluster run from the machine's own binaries (<c>initdb</c>, <c>pg_ctl</c>):
/// used by the run command when no connection string is configured, and by the tests when neither a
/// connection string nor a Docker engine is available. It listens on loopback only, on a free port,
/// with a generated password; as root it runs the server as the <c>postgres</c> user.
/// </summary>
public sealed class LocalPostgresCluster : IDisposable
{
    private const string Superuser = "privacy";
    private readonly string _root;
    private readonly string _binDirectory;
    private readonly string? _runAs;
    private bool _stopped;
    private IReadOnlyDictionary<string, string> _settings = new Dictionary<string, string>();

    private LocalPostgresCluster(string root, string binDirectory, string? runAs, int port, string password)
    {
        _root = root;
        _binDirectory = binDirectory;
        _runAs = runAs;
        Port = port;
        Password = password;
    }

    public int Port { get; }

    private string Password { get; }

    private string DataDirectory => Path.Combine(_root, "pgdata");

    /// <summary>A connection string for <paramref name="database"/> on this cluster.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Password = Password,
        Database = database,
    }.ConnectionString;

    /// <summary>
    /// Starts (initialising it first when new) the cluster kept in <paramref name="root"/> and makes sure
    /// <paramref name="database"/> exists. A cluster left running by a previous process is reused.
    /// </summary>
    /// <param name="settings">Extra server settings (e.g. <c>shared_buffers</c>), applied at every start.</param>
    public static LocalPostgresCluster Start(string root, string database, IReadOnlyDictionary<string, string>? settings = null)
    {
        var bin = FindBinaries() ?? throw new LocalPostgresUnavailableException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin. " +
            "Install them (Debian/Ubuntu: `sudo apt-get install postgresql`; macOS: `brew install postgresql@15`) " +
            "or configure ConnectionStrings__Privacy to use an existing database.");
        Directory.CreateDirectory(root);
        var runAs = Environment.UserName == "root" || Environment.IsPrivilegedProcess ? "postgres" : null;
        var passwordFile = Path.Combine(root, "password");
        var dataDirectory = Path.Combine(root, "pgdata");

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }

            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
            File.WriteAllText(passwordFile, password);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            var initPasswordFile = Path.Combine(root, "initdb-password");
            File.WriteAllText(initPasswordFile, password);
            Directory.CreateDirectory(dataDirectory);
            GiveToServerUser(root, runAs);
            try
            {
                Run(bin, runAs, "initdb", "-D", dataDirectory, "-U", Superuser, "--auth=scram-sha-256",
                    $"--pwfile={initPasswordFile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
            }
            finally
            {
                File.Delete(initPasswordFile);
            }
        }

        var cluster = new LocalPostgresCluster(root, bin, runAs, RunningPort(dataDirectory) ?? FreePort(), File.ReadAllText(passwordFile).Trim())
        {
            _settings = settings ?? new Dictionary<string, string>(),
        };
        if (RunningPort(dataDirectory) is null)
        {
            GiveToServerUser(root, runAs);
            cluster.StartServer();
        }

        cluster.EnsureDatabase(database);
        return cluster;
    }

    /// <summary>Creates <paramref name="database"/> when it does not exist.</summary>
    public void EnsureDatabase(string database)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(database);
        if (exists.ExecuteScalar() is null)
        {
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            create.ExecuteNonQuery();
        }
    }

    /// <summary>Stops the server (fast shutdown: sessions are ended, committed data is kept).</summary>
    public void Stop(bool immediate = false)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        NpgsqlConnection.ClearAllPools();
        Run(_binDirectory, _runAs, "pg_ctl", "stop", "-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w");
    }

    /// <summary>
    /// Stops the server (fast shutdown, or immediate: a crash without a checkpoint, recovered from the WAL at the next start),
    /// leaves it down for <paramref name="downtime"/>, and starts it again on the same port: what the reliability suite does
    /// to the database under load.
    /// </summary>
    public void Restart(bool immediate, TimeSpan downtime)
    {
        Stop(immediate);
        Thread.Sleep(downtime);
        StartServer();
        _stopped = false;
    }

    public void Dispose() => Stop();

    private void StartServer()
    {
        var options = $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories='' -c max_connections=300 -c fsync=on" +
                      string.Concat(_settings.Select(s => $" -c {s.Key}={s.Value}"));
        Run(_binDirectory, _runAs, "pg_ctl", "start", "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(_root, "postgres.log"), "-o", options);
    }

    private static string? FindBinaries()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(v => Path.Combine(v, "bin"))
                : []);
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>The port of a server already running on <paramref name="dataDirectory"/>, from postmaster.pid.</summary>
    private static int? RunningPort(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }

        var lines = File.ReadAllLines(pidFile);
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port))
        {
            return null;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : port;
        }
        catch (ArgumentException)
        {
            return null; // stale pid file: pg_ctl start cleans it up
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void GiveToServerUser(string root, string? runAs)
    {
        if (runAs is null)
        {
            return;
        }

        // The server user owns the data folder; the password file stays readable by this process only.
        RunProcess("chown", ["-R", $"{runAs}:", Path.Combine(root, "pgdata")]);
        RunProcess("chown", [$"{runAs}:", root]);
        var initPassword = Path.Combine(root, "initdb-password");
        if (File.Exists(initPassword))
        {
            RunProcess("chown", [$"{runAs}:", initPassword]);
        }
    }

    private static void Run(string binDirectory, string? runAs, string tool, params string[] arguments)
    {
        var executable = Path.Combine(binDirectory, tool);
        if (runAs is null)
        {
            RunProcess(executable, arguments);
        }
        else
        {
            RunProcess("runuser", ["-u", runAs, "--", executable, .. arguments]);
        }
    }

    private static void RunProcess(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new LocalPostgresUnavailableException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new LocalPostgresUnavailableException(
                $"{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)} failed with exit code {process.ExitCode}: {error.Result}{output.Result}");
        }
    }
}

/// <summary>The local PostgreSQL cluster could not be provisioned; the message says how to fix it.</summary>
public sealed class LocalPostgresUnavailableException(string message) : Exception(message);
