using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Logging;

/// <summary>A first start on a brand-new database: migrations, seeds, ready, and not one error or warning in the log.</summary>
public sealed class FreshDatabaseLogTests
{
    [Fact]
    public async Task AFreshDatabaseStartsWithoutAFailLine()
    {
        var collector = new Collector();
        await using var factory = new PrivacyApiFactory().UsingConnectionString(await TestPostgres.CreateDatabaseAsync("fresh"));
        await using var started = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(collector)));

        using var ready = await started.CreateClient().GetAsync("/health/ready");

        ready.EnsureSuccessStatusCode();
        Assert.Contains(collector.Records, r => r.Message.StartsWith("Database schema is at migration", StringComparison.Ordinal)); // it did migrate
        Assert.DoesNotContain(collector.Records, r => r.Level >= LogLevel.Warning);
    }

    private sealed class Collector : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Records { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(Collector owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Records.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
