using Microsoft.AspNetCore.Hosting;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>
/// The service with its relay tuned for tests: receivers on loopback over http are allowed, the relay polls often,
/// quick retries and the circuit breaker's break are short (real time), and the persistent schedule runs on the fake clock.
/// </summary>
public class NotifierFactory : PrivacyApiFactory
{
    /// <summary>
    /// Attempts before a circuit may open. High by default, so that one test's failures do not open the circuit
    /// for the next test of the class; the circuit breaker's own tests lower it.
    /// </summary>
    protected virtual int BreakerMinimumThroughput => 10_000;

    /// <summary>Whether loopback receivers are allowed (the default); the SSRF tests turn it off to see the guard refuse them.</summary>
    protected virtual bool AllowPrivateNetworks => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Notifier:AllowHttp", "true");
        builder.UseSetting("Notifier:AllowPrivateNetworks", AllowPrivateNetworks ? "true" : "false");
        builder.UseSetting("Notifier:PollInterval", "00:00:00.020");
        builder.UseSetting("Notifier:ImmediateRetryDelay", "00:00:00.010");
        builder.UseSetting("Notifier:AttemptTimeout", "00:00:02");
        builder.UseSetting("Notifier:BreakerBreakDuration", "00:00:00.500");
        builder.UseSetting("Notifier:BreakerMinimumThroughput", BreakerMinimumThroughput.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Notifier:BreakerSamplingDuration", "00:00:01");
        builder.UseSetting("Notifier:ClaimLease", "00:01:00");
    }

    /// <summary>Waits (real time, polling) until <paramref name="condition"/> holds; the relay works in the background.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
