using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Notifications.NotifierTestSupport;

namespace Privacy.Api.Tests.Notifications;

public sealed class WebhookDeliveryTests(NotifierFactory factory) : IClassFixture<NotifierFactory>, IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private List<ReceivedWebhook> CallsFor(string id) => [.. _receiver.Received.Where(r => r.Id == id)];

    [Fact]
    public async Task AFollowUpIsDeliveredSignedAndShownAsDelivered()
    {
        var secret = await SetEndpointAsync(factory, _receiver.Url);
        var customer = NewCustomer();

        var id = await RaiseAsync(factory, customer);

        await DeliveredAsync(factory, id);
        var call = Assert.Single(CallsFor(id));
        Assert.True(WebhookReceiver.IsSignedWith(call, secret), "the signature does not verify with the recipient's secret");
        Assert.False(WebhookReceiver.IsSignedWith(call, "whsec_" + Convert.ToBase64String(new byte[32])), "a wrong secret must not verify");
        Assert.Equal(factory.Time.GetUtcNow().ToUnixTimeSeconds(), call.Timestamp);
        Assert.Matches(@"^smultronsites-privacy/\d+\.\d+\.\d+$", call.UserAgent); // the receiver's logs and firewall know who calls
        var body = JsonDocument.Parse(call.Body).RootElement;
        Assert.Equal("follow_up.erase", body.GetProperty("type").GetString());
        Assert.Equal(customer, body.GetProperty("data").GetProperty("customerNumber").GetString());
        Assert.Equal(id, body.GetProperty("data").GetProperty("messageId").GetString());
        var followUps = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/follow-ups?customerNumber={customer}");
        Assert.NotEqual(JsonValueKind.Null, Assert.Single(followUps.GetProperty("items").EnumerateArray()).GetProperty("webhookDeliveredAt").ValueKind);
    }

    [Fact]
    public async Task AReceiverFailingThreeTimesGetsTheSameMessageAfterEachFailureUntilItAccepts()
    {
        var secret = await SetEndpointAsync(factory, _receiver.Url);
        var failures = 0;
        _receiver.Respond = call => Task.FromResult((Interlocked.Increment(ref failures) <= 3 ? 500 : 204, (TimeSpan?)null));

        var id = await RaiseAsync(factory, NewCustomer());

        // One delivery attempt of three requests (two immediate retries) fails; the next waits for the schedule: 5 s ± 10 %.
        await SettledAsync(factory, id, attempts: 1);
        var failed = await MessageAsync(factory, id);
        Assert.False(failed.Delivered);
        Assert.Equal("HTTP 500", failed.LastError);
        Assert.InRange(failed.NextAttemptAt - factory.Time.GetUtcNow(), TimeSpan.FromSeconds(4.4), TimeSpan.FromSeconds(5.6));
        factory.Time.Advance(TimeSpan.FromSeconds(6));
        await DeliveredAsync(factory, id);

        var calls = CallsFor(id);
        Assert.Equal([500, 500, 500, 204], calls.Select(c => c.Status));
        Assert.All(calls, c => Assert.True(WebhookReceiver.IsSignedWith(c, secret)));
        Assert.Equal(2, (await MessageAsync(factory, id)).Attempts);
    }

    [Fact]
    public async Task RetryAfterFromTheReceiverIsHonoured()
    {
        await SetEndpointAsync(factory, _receiver.Url);
        var asked = 0;
        _receiver.Respond = _ => Task.FromResult(Interlocked.Increment(ref asked) == 1 ? (429, (TimeSpan?)TimeSpan.FromHours(1)) : (204, null));

        var id = await RaiseAsync(factory, NewCustomer());

        await SettledAsync(factory, id, attempts: 1);
        var waiting = await MessageAsync(factory, id);
        Assert.Equal(1, waiting.Attempts); // no quick retry against a receiver that asked for a pause
        Assert.InRange(waiting.NextAttemptAt - factory.Time.GetUtcNow(), TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
        factory.Time.Advance(TimeSpan.FromMinutes(61));
        await DeliveredAsync(factory, id);
    }

    [Fact]
    public async Task ALaterMessageAboutTheSameCustomerWaitsForTheEarlierOneButOthersDoNot()
    {
        await SetEndpointAsync(factory, _receiver.Url);
        var customer = NewCustomer();
        var accept = false;
        static bool IsRectification(ReceivedWebhook call) =>
            JsonDocument.Parse(call.Body).RootElement.GetProperty("data").GetProperty("action").GetString() == "rectify";
        _receiver.Respond = call => Task.FromResult((IsRectification(call) && !Volatile.Read(ref accept) ? 503 : 204, (TimeSpan?)null));

        var first = await RaiseAsync(factory, customer, "rectify", new Dictionary<string, string> { ["user.contact.email"] = "a@example.com" });
        var second = await RaiseAsync(factory, customer, "erase");
        var other = await RaiseAsync(factory, NewCustomer());

        await SettledAsync(factory, first, attempts: 1);
        await DeliveredAsync(factory, other);
        Assert.Empty(CallsFor(second)); // the erasure must not overtake the rectification
        Volatile.Write(ref accept, true);
        factory.Time.Advance(TimeSpan.FromSeconds(6));
        await DeliveredAsync(factory, second);

        var order = _receiver.Accepted.Select(r => r.Id).ToList();
        Assert.True(order.IndexOf(first) < order.IndexOf(second));
    }

    [Fact]
    public async Task GoneDisablesTheEndpointAndTellsOpsUntilTheyEnableItAgain()
    {
        await SetEndpointAsync(factory, _receiver.Url);
        _receiver.Respond = _ => Task.FromResult((410, (TimeSpan?)null));
        var ops = factory.Client(Roles.Ops);

        var id = await RaiseAsync(factory, NewCustomer());

        await SettledAsync(factory, id, attempts: 1);
        var endpoint = await ops.GetFromJsonAsync<JsonElement>($"/notifier/endpoints/{Recipient}");
        Assert.False(endpoint.GetProperty("enabled").GetBoolean());
        Assert.Contains("410", endpoint.GetProperty("disabledReason").GetString());
        Assert.True(await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'webhook.endpoint_disabled'") >= 1);
        var status = await ops.GetFromJsonAsync<JsonElement>("/notifier/status");
        var card = status.GetProperty("recipients").EnumerateArray().Single(r => r.GetProperty("recipient").GetString() == Recipient);
        Assert.False(card.GetProperty("enabled").GetBoolean());
        Assert.True(card.GetProperty("pending").GetInt32() >= 1);
        Assert.Single(CallsFor(id)); // nothing more is sent to a gone endpoint

        _receiver.Respond = _ => Task.FromResult((204, (TimeSpan?)null));
        await SetEndpointAsync(factory, _receiver.Url);
        await DeliveredAsync(factory, id);
    }

    [Fact]
    public async Task DuringARotationBothSecretsSignAndAfterTheOverlapOnlyTheNewOne()
    {
        var old = await SetEndpointAsync(factory, _receiver.Url);
        using var rotated = await factory.Client(Roles.Ops).PostJson($"/notifier/endpoints/{Recipient}/secrets", new { overlapHours = 24 });
        var secret = (await rotated.ReadOk<JsonElement>(System.Net.HttpStatusCode.Created)).GetProperty("secret").GetString()!;

        var during = await RaiseAsync(factory, NewCustomer());
        await DeliveredAsync(factory, during);
        factory.Time.Advance(TimeSpan.FromHours(25));
        var after = await RaiseAsync(factory, NewCustomer());
        await DeliveredAsync(factory, after);

        var (duringCall, afterCall) = (Assert.Single(CallsFor(during)), Assert.Single(CallsFor(after)));
        Assert.True(WebhookReceiver.IsSignedWith(duringCall, old) && WebhookReceiver.IsSignedWith(duringCall, secret));
        Assert.True(WebhookReceiver.IsSignedWith(afterCall, secret));
        Assert.False(WebhookReceiver.IsSignedWith(afterCall, old));
    }

    [Fact]
    public async Task AReceiverDownPastTheHorizonDeadLettersTheMessageAndAReplayDeliversIt()
    {
        await SetEndpointAsync(factory, _receiver.Url);
        _receiver.Respond = _ => Task.FromResult((503, (TimeSpan?)null));
        var ops = factory.Client(Roles.Ops);
        var written = factory.Time.GetUtcNow();

        var id = await RaiseAsync(factory, NewCustomer());

        // Act: follow the persistent schedule on the clock, attempt by attempt, until the relay gives up.
        var rounds = 0;
        for (var message = await MessageAsync(factory, id); !message.Dead; message = await MessageAsync(factory, id))
        {
            Assert.True(++rounds <= 12, "the message was never dead-lettered");
            await NotifierFactory.Eventually(async () => await MessageAsync(factory, id) is var m && !m.Claimed && m.LastError is not null
                && (m.NextAttemptAt > factory.Time.GetUtcNow() || m.Dead), "the attempt is recorded");
            message = await MessageAsync(factory, id);
            if (!message.Dead)
            {
                factory.Time.SetUtcNow(message.NextAttemptAt.AddSeconds(1));
            }
        }

        // Assert: about three days of attempts (the schedule's nine steps), then a dead letter ops can see.
        Assert.InRange(rounds, 8, 10);
        Assert.InRange(factory.Time.GetUtcNow() - written, TimeSpan.FromHours(48), TimeSpan.FromDays(3));
        var dead = await ops.GetFromJsonAsync<JsonElement>($"/notifier/messages?recipient={Recipient}&state=dead_lettered");
        var listed = Assert.Single(dead.GetProperty("items").EnumerateArray(), m => m.GetProperty("messageId").GetString() == id);
        Assert.Equal("HTTP 503", listed.GetProperty("lastError").GetString());
        var status = await ops.GetFromJsonAsync<JsonElement>("/notifier/status");
        Assert.True(status.GetProperty("deadLettered").GetInt32() >= 1);
        using var notDead = await ops.PostAsync($"/notifier/messages/{listed.GetProperty("id").GetInt64() + 1000}/replay", null);
        await notDead.AssertProblem(HttpStatusCode.NotFound);

        // Act: the partner is fixed; ops replay the dead letter.
        _receiver.Respond = _ => Task.FromResult((204, (TimeSpan?)null));
        using var replay = await ops.PostAsync($"/notifier/messages/{listed.GetProperty("id").GetInt64()}/replay", null);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        await DeliveredAsync(factory, id);

        var calls = _receiver.Received.Where(r => r.Id == id).ToList();
        Assert.Equal(204, calls[^1].Status);
        Assert.All(calls[..^1], c => Assert.Equal(503, c.Status));
        using var again = await ops.PostAsync($"/notifier/messages/{listed.GetProperty("id").GetInt64()}/replay", null);
        await again.AssertProblem(HttpStatusCode.Conflict);
        Assert.True(await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'outbox.replayed'") >= 1);
    }
}
