using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Privacy.Api.Notifications;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Notifications;

public sealed class NotifierOptionsTests
{
    [Fact]
    public void TheDeliveryBudgetCountsEveryAttemptAndTheBackoffBetween() =>
        Assert.Equal(TimeSpan.FromSeconds(2 * 3 + 1 * 12), new NotifierOptions
        {
            AttemptTimeout = TimeSpan.FromSeconds(2), ImmediateRetries = 2, ImmediateRetryDelay = TimeSpan.FromSeconds(1),
        }.DeliveryBudget());

    [Fact]
    public void AClaimLeaseShorterThanADeliveryIsRefused()
    {
        // 10 s passed the old check (AttemptTimeout × 4 = 8 s), yet the relay handed back every batch unsent: with the
        // backoff a delivery may take 18 s, and the relay never starts what its lease cannot cover (the reliability suite found it).
        // The service's own registration (ValidateOnStart: the host refuses to start). Checked on the options themselves, not by
        // starting a host: a host failing its start inside WebApplicationFactory sometimes surfaces as ObjectDisposedException.
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Notifier:ClaimLease"] = "00:00:10", ["Notifier:AttemptTimeout"] = "00:00:02", ["Notifier:ImmediateRetryDelay"] = "00:00:01",
        });
        builder.AddNotifications();
        using var services = builder.Services.BuildServiceProvider();

        var refused = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<NotifierOptions>>().Value);

        Assert.Contains("Notifier:ClaimLease must outlast a whole delivery", refused.Message);
    }

    [Fact]
    public async Task AConfiguredRetryScheduleReplacesTheDefaultWhole()
    {
        var database = await TestPostgres.CreateDatabaseAsync("notifieroptions");
        await using var factory = new PrivacyApiFactory().UsingConnectionString(database);
        await using var configured = factory.WithWebHostBuilder(b => b
            .UseSetting("Notifier:RetrySchedule:0", "00:00:01")
            .UseSetting("Notifier:RetrySchedule:1", "00:00:02"));

        var options = configured.Services.GetRequiredService<IOptions<NotifierOptions>>().Value;

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], options.EffectiveRetrySchedule);
        Assert.Equal(NotifierOptions.DefaultRetrySchedule, new NotifierOptions().EffectiveRetrySchedule);
    }
}
