using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>One log record as written: where from, the formatted message, every structured value, every scope, the exception.</summary>
public sealed record CapturedLog(
    string Category,
    string Level,
    int EventId,
    string? EventName,
    string Message,
    IReadOnlyDictionary<string, string?> State,
    IReadOnlyList<string> Scopes,
    string? Exception)
{
    /// <summary>Every text the record holds, each scanned on its own.</summary>
    public IEnumerable<string> Texts()
    {
        yield return Message;
        foreach (var (key, value) in State)
        {
            // With its key, so the scanner knows what the value is ("AssemblyVersion=10.0.0.0").
            yield return $"{key}={value}";
        }

        foreach (var scope in Scopes)
        {
            yield return scope;
        }

        if (Exception is not null)
        {
            yield return Exception;
        }
    }
}

/// <summary>
/// Every log record of every service host the test suite starts, at Debug and above, from every category but those the
/// service itself switches off (<see cref="Privacy.Api.Platform.Logging.PrivacyLogging.SilencedCategories"/>), written as
/// JSON lines to <c>suite-logs/</c> in the test output directory for <see cref="Logging.LogScanTests"/> and for people to
/// read. The hosts' own configured levels do not apply to this sink: it sees what the service would write with every
/// level turned down to Debug. Records are written by one background writer, not kept in memory: a suite's 200,000
/// records held until the end made the garbage collector pause long enough to time out the service's regex matches.
/// </summary>
public static class SuiteLog
{
    /// <summary>The level captured; Debug costs the suite a few seconds.</summary>
    public const LogLevel MinimumLevel = LogLevel.Debug;

    private static readonly JsonSerializerOptions FileJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly Channel<CapturedLog> Pending = Channel.CreateUnbounded<CapturedLog>(new UnboundedChannelOptions { SingleReader = true });
    private static readonly Lazy<Task> Writer = new(() => Task.Run(WriteAsync));
    private static long _count;

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "suite-logs");

    /// <summary>This run's file: written while the suite runs, renamed to <c>*.jsonl</c> by <see cref="CompleteAsync"/>.</summary>
    public static string FilePath { get; } = Path.Combine(Directory,
        $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.partial.jsonl");

    /// <summary>How many test cases other than the scan's ran before it in this run; -1 until the test framework says.</summary>
    public static int OtherTestCasesRun { get; set; } = -1;

    /// <summary>Records captured so far.</summary>
    public static long Count => Interlocked.Read(ref _count);

    /// <summary>Adds the sink to a host's logging: Debug and up from every category, the service's silenced ones excepted.</summary>
    public static void AddTo(ILoggingBuilder logging)
    {
        logging.AddProvider(new SuiteLogProvider());
        // A rule for this provider beats every rule without a provider, so the configured levels do not hide anything from it.
        logging.AddFilter<SuiteLogProvider>(null, MinimumLevel);
        foreach (var category in Privacy.Api.Platform.Logging.PrivacyLogging.SilencedCategories)
        {
            logging.AddFilter<SuiteLogProvider>(category, LogLevel.None);
        }
    }

    internal static void Add(CapturedLog record)
    {
        // After CompleteAsync the channel refuses: a host still stopping then is not part of the scanned run.
        if (Pending.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _count);
            _ = Writer.Value;
        }
    }

    /// <summary>Stops capturing, writes out what is pending and gives the file its final name, which it returns.</summary>
    public static async Task<string> CompleteAsync()
    {
        Pending.Writer.TryComplete();
        await Writer.Value;
        var final = FilePath.Replace(".partial.jsonl", ".jsonl", StringComparison.Ordinal);
        File.Move(FilePath, final, overwrite: true);
        // Keep the last few runs' files only.
        foreach (var old in new DirectoryInfo(Directory).EnumerateFiles("*.jsonl").OrderByDescending(f => f.Name).Skip(5))
        {
            old.Delete();
        }

        return final;
    }

    /// <summary>The newest complete file of an earlier run, for a scan run on its own.</summary>
    public static string? LatestCompleteFile() =>
        System.IO.Directory.Exists(Directory)
            ? new DirectoryInfo(Directory).EnumerateFiles("*.jsonl").Where(f => !f.Name.EndsWith(".partial.jsonl", StringComparison.Ordinal))
                .OrderByDescending(f => f.Name).FirstOrDefault()?.FullName
            : null;

    public static IEnumerable<CapturedLog> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<CapturedLog>(l, FileJson)!);

    internal static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => string.Join(", ", items.Cast<object?>().Select(Text)),
        _ => value.ToString(),
    };

    private static async Task WriteAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await using var file = new StreamWriter(FilePath, append: false);
        await foreach (var record in Pending.Reader.ReadAllAsync())
        {
            await file.WriteLineAsync(JsonSerializer.Serialize(record, FileJson));
        }
    }
}

/// <summary>The logger provider behind <see cref="SuiteLog"/>; takes part in the hosts' scopes.</summary>
[ProviderAlias("SuiteLog")]
public sealed class SuiteLogProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new SuiteLogger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class SuiteLogger(string category, SuiteLogProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, string?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    values[key] = SuiteLog.Text(value);
                }
            }

            var scopes = new List<string>();
            provider._scopes.ForEachScope((scope, list) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> scopePairs)
                {
                    list.AddRange(scopePairs.Select(p => $"{p.Key}={SuiteLog.Text(p.Value)}"));
                }
                else
                {
                    list.Add(SuiteLog.Text(scope) ?? "");
                }
            }, scopes);

            SuiteLog.Add(new CapturedLog(category, logLevel.ToString(), eventId.Id, eventId.Name, formatter(state, exception), values,
                scopes, exception?.ToString()));
        }
    }
}
