using Microsoft.AspNetCore.Hosting;
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
    public async Task AClaimLeaseShorterThanADeliveryIsRefusedAtStartUp()
    {
        // 10 s passed the old check (AttemptTimeout × 4 = 8 s), yet the relay handed back every batch unsent: with the
        // backoff a delivery may take 18 s, and the relay never starts what its lease cannot cover (the reliability suite found it).
        var database = await TestPostgres.CreateDatabaseAsync("notifieroptions");
        await using var factory = new PrivacyApiFactory().UsingConnectionString(database);
        await using var configured = factory.WithWebHostBuilder(b => b
            .UseSetting("Notifier:ClaimLease", "00:00:10")
            .UseSetting("Notifier:AttemptTimeout", "00:00:02")
            .UseSetting("Notifier:ImmediateRetryDelay", "00:00:01"));

        var refused = Assert.Throws<OptionsValidationException>(() => configured.Services);

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
