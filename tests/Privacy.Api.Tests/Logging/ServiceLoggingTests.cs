using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Logging;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Logging;

/// <summary>How the service writes its logs outside Development, and the categories it never lets write.</summary>
public sealed class ServiceLoggingTests
{
    [Fact]
    public async Task OutsideDevelopmentTheConsoleWritesJsonWithScopes()
    {
        await using var factory = new PrivacyApiFactory().UsingConnectionString(await TestPostgres.CreateDatabaseAsync("logging"));

        var console = factory.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        var json = factory.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;

        Assert.Equal(ConsoleFormatterNames.Json, console.FormatterName);
        Assert.True(json.IncludeScopes);
        Assert.True(json.UseUtcTimestamp);
    }

    [Fact]
    public async Task TheCategoriesThatWriteRequestPathsStayOffWhateverTheConfigurationSays()
    {
        await using var factory = new PrivacyApiFactory().UsingConnectionString(await TestPostgres.CreateDatabaseAsync("logging"));
        await using var configured = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Logging:LogLevel:Default", "Trace");
            foreach (var category in PrivacyLogging.SilencedCategories)
            {
                b.UseSetting($"Logging:LogLevel:{category}", "Trace");
            }
        });

        var loggers = configured.Services.GetRequiredService<ILoggerFactory>();

        Assert.NotEmpty(PrivacyLogging.SilencedCategories);
        Assert.All(PrivacyLogging.SilencedCategories, category => Assert.False(loggers.CreateLogger(category).IsEnabled(LogLevel.Critical), category));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Debug));
    }
}
