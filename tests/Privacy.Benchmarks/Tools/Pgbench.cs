using System.Globalization;
using System.Text.RegularExpressions;

namespace Privacy.Benchmarks.Tools;

/// <summary>
/// The database's own limit: pgbench runs a script of the same SQL an endpoint needs, prepared, with the
/// same number of clients. Latency percentiles come from pgbench's per-transaction log.
/// </summary>
internal static partial class Pgbench
{
    public static async Task<Measurement> RunAsync(string name, Database database, string script, int clients, TimeSpan duration,
        IDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        var logFolder = Directory.CreateTempSubdirectory("pgbench-");
        try
        {
            List<string> arguments =
            [
                "-n", "-M", "prepared", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(2, clients).ToString(CultureInfo.InvariantCulture),
                "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
                "-f", Path.Combine(AppContext.BaseDirectory, "Scripts", script),
                "-l", "--log-prefix", Path.Combine(logFolder.FullName, "tx"),
                "-h", "127.0.0.1", "-p", database.Port.ToString(CultureInfo.InvariantCulture), "-U", database.User,
            ];
            foreach (var (key, value) in variables)
            {
                arguments.AddRange(["-D", $"{key}={value}"]);
            }

            arguments.Add(database.Name);
            var output = await ProcessRunner.RunAsync("pgbench", arguments, new Dictionary<string, string> { ["PGPASSWORD"] = database.Password },
                logFolder.FullName, cancellationToken);
            var transactions = long.Parse(Processed().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
            var failed = Failed().Match(output) is { Success: true } f ? long.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            var tps = double.Parse(Tps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);

            // Log lines: client_id transaction_no time(us) script_no time_epoch time_us
            var latencies = Directory.GetFiles(logFolder.FullName, "tx*")
                .SelectMany(File.ReadLines)
                .Select(l => l.Split(' '))
                .Where(p => p.Length >= 3 && long.TryParse(p[2], out _))
                .Select(p => long.Parse(p[2], CultureInfo.InvariantCulture))
                .Order()
                .ToArray();
            return new Measurement(name, "pgbench", clients, duration.TotalSeconds, transactions, failed, tps,
                Percentile(latencies, 0.50) / 1000, Percentile(latencies, 0.99) / 1000,
                latencies.Length == 0 ? 0 : latencies.Average() / 1000);
        }
        finally
        {
            logFolder.Delete(recursive: true);
        }
    }

    private static double Percentile(long[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex Processed();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex Failed();

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex Tps();
}

/// <summary>Where pgbench and the loader connect.</summary>
internal sealed record Database(int Port, string User, string Password, string Name)
{
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database={Name}";

    /// <summary>
    /// Drops and creates another database <paramref name="name"/> in the same cluster (a scenario's own; the service applies
    /// the migrations and seeds when it starts there) and returns its connection string.
    /// </summary>
    public async Task<string> RecreateAsync(string name, CancellationToken cancellationToken)
    {
        await using (var connection = new Npgsql.NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            foreach (var sql in new[] { $"DROP DATABASE IF EXISTS {name} WITH (FORCE)", $"CREATE DATABASE {name}" })
            {
                await using var command = new Npgsql.NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        return (this with { Name = name }).ConnectionString;
    }
}
