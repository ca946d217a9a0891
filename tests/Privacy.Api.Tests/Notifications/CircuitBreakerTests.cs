using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Notifications.NotifierTestSupport;

namespace Privacy.Api.Tests.Notifications;

public sealed class BreakingNotifierFactory : NotifierFactory
{
    protected override int BreakerMinimumThroughput => 4;
}

public sealed class CircuitBreakerTests(BreakingNotifierFactory factory) : IClassFixture<BreakingNotifierFactory>
{
    [Fact]
    public async Task ADeadPartnerOpensOnlyItsOwnCircuitAndTheOtherPartnerGetsEverything()
    {
        await using var dead = await WebhookReceiver.StartAsync();
        await using var healthy = await WebhookReceiver.StartAsync();
        dead.Respond = _ => Task.FromResult((503, (TimeSpan?)null));
        await SetEndpointAsync(factory, dead.Url, "card-provider");
        await SetEndpointAsync(factory, healthy.Url, "invoicing-partner");

        var toDead = new List<string>();
        var toHealthy = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            toDead.Add(await RaiseAsync(factory, NewCustomer(), recipient: "card-provider"));
            toHealthy.Add(await RaiseAsync(factory, NewCustomer(), recipient: "invoicing-partner"));
        }

        foreach (var id in toHealthy)
        {
            await DeliveredAsync(factory, id);
        }

        await NotifierFactory.Eventually(async () => (await Task.WhenAll(toDead.Select(id => MessageAsync(factory, id))))
            .All(m => !m.Claimed && m.LastError is not null), "every message to the dead partner has been tried or held back");

        // The circuit opened: not every message was sent three times (one attempt and two immediate retries).
        Assert.True(dead.Received.Count < toDead.Count * 3, $"{dead.Received.Count} requests reached the dead partner");
        var status = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>("/notifier/status");
        var card = status.GetProperty("recipients").EnumerateArray().Single(r => r.GetProperty("recipient").GetString() == "card-provider");
        Assert.Contains((await Task.WhenAll(toDead.Select(id => MessageAsync(factory, id)))), m => m.LastError!.Contains("circuit", StringComparison.Ordinal));
        Assert.Equal(6, card.GetProperty("pending").GetInt32());
        var invoicing = status.GetProperty("recipients").EnumerateArray().Single(r => r.GetProperty("recipient").GetString() == "invoicing-partner");
        Assert.Equal(0, invoicing.GetProperty("pending").GetInt32());
    }
}
