using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Notifications.NotifierTestSupport;

namespace Privacy.Api.Tests.Notifications;

/// <summary>An instance whose relay does not run by itself: the test runs its passes.</summary>
public sealed class IdleRelayFactory : NotifierFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Notifier:RelayEnabled", "false");
    }
}

public sealed class RelayLagTests(IdleRelayFactory factory) : IClassFixture<IdleRelayFactory>
{
    [Fact]
    public async Task OpsSeeHowLongDueMessagesHaveWaitedUntilTheRelayDeliversThem()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await SetEndpointAsync(factory, receiver.Url);
        await InsertMessagesAsync(factory, count: 5, subjects: 5);
        var ops = factory.Client(Roles.Ops);

        factory.Time.Advance(TimeSpan.FromSeconds(30));

        var waiting = await ops.GetFromJsonAsync<JsonElement>("/notifier/status");
        Assert.Equal(30, waiting.GetProperty("lagSeconds").GetDouble(), precision: 0);
        Assert.Equal(5, waiting.GetProperty("pending").GetInt32());
        var pending = await ops.GetFromJsonAsync<JsonElement>($"/notifier/messages?recipient={Recipient}&state=pending");
        Assert.Equal(5, pending.GetProperty("items").GetArrayLength());

        // Act: one relay pass.
        Assert.Equal(5, await factory.Services.GetRequiredService<OutboxRelay>().RunOnceAsync(CancellationToken.None));

        var caughtUp = await ops.GetFromJsonAsync<JsonElement>("/notifier/status");
        Assert.Equal(0, caughtUp.GetProperty("lagSeconds").GetDouble());
        Assert.Equal(0, caughtUp.GetProperty("pending").GetInt32());
        Assert.Equal(5, receiver.Accepted.Count());
        using var badState = await ops.GetAsync("/notifier/messages?state=lost");
        Assert.Equal(["state"], await badState.AssertValidationErrors());
    }
}
