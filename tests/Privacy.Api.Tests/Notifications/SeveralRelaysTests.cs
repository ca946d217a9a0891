using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Notifications;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Notifications.NotifierTestSupport;

namespace Privacy.Api.Tests.Notifications;

/// <summary>Relays in several instances over one database, and relays that stop or die mid-delivery.</summary>
public sealed class SeveralRelaysTests : IAsyncLifetime
{
    private readonly NotifierFactory _a = new();
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        await _a.InitializeAsync();
        _receiver = await WebhookReceiver.StartAsync();
        await SetEndpointAsync(_a, _receiver.Url);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private Task<long> DeliveredCount() => _a.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE delivered_at IS NOT NULL");

    [Fact]
    public async Task TwoRelaysDeliverAThousandMessagesEachAtLeastOnceNeverTwiceAtOnceAndInOrderPerSubject()
    {
        await using var b = new NotifierFactory().UsingDatabaseOf(_a);
        _ = b.Services; // a second instance, relay running
        _receiver.Respond = async _ =>
        {
            await Task.Delay(Random.Shared.Next(0, 3)); // the receiver's own work, so deliveries overlap
            return (204, null);
        };

        await InsertMessagesAsync(_a, count: 1000, subjects: 100);

        await NotifierFactory.Eventually(async () => await DeliveredCount() == 1000, "all 1,000 messages are delivered", seconds: 120);
        Assert.Equal(0, _receiver.ConcurrentDuplicates);
        var accepted = _receiver.Accepted.Select(r => r.Id).ToList();
        Assert.Equal(1000, accepted.Distinct().Count());
        // Per subject, the receiver accepted the messages in the order they were written.
        await using var connection = await _a.OpenDatabaseAsync();
        await using var read = new Npgsql.NpgsqlCommand("SELECT message_id::text, ordering_key, id FROM privacy.outbox_messages", connection);
        var rows = new Dictionary<string, (string Key, long Id)>();
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = (reader.GetString(1), reader.GetInt64(2));
            }
        }

        foreach (var subject in accepted.Distinct().GroupBy(id => rows[id].Key))
        {
            var ids = subject.Select(id => rows[id].Id).ToList();
            Assert.Equal(ids.Order(), ids);
        }
    }

    [Fact]
    public async Task MessagesClaimedByARelayThatDiedGoOutWhenItsLeaseEnds()
    {
        // A relay took them and died (killed: no release). Its lease runs for another minute. Inserted claimed, in one
        // statement: claimed afterwards, the running relay could take some first (it did, once in a while).
        await InsertMessagesAsync(_a, count: 20, subjects: 20, claimedUntil: _a.Time.GetUtcNow().AddMinutes(1));
        await _a.Services.GetRequiredService<OutboxRelay>().RunOnceAsync(CancellationToken.None);
        Assert.Empty(_receiver.Received); // still someone else's

        _a.Time.Advance(TimeSpan.FromMinutes(1));

        await NotifierFactory.Eventually(async () => await DeliveredCount() == 20, "the orphaned messages are delivered");
        Assert.Equal(20, _receiver.Accepted.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public async Task ARelayStoppedMidDeliveryLosesNothing()
    {
        var stuck = new TaskCompletionSource();
        var inside = new TaskCompletionSource();
        _receiver.Respond = async _ =>
        {
            inside.TrySetResult();
            await stuck.Task; // the first delivery hangs until the relay has been stopped
            return (204, null);
        };
        await InsertMessagesAsync(_a, count: 30, subjects: 30);
        await inside.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Act: stop the only instance while it is sending; then another instance carries on.
        await _a.DisposeAsync();
        _receiver.Respond = _ => Task.FromResult((204, (TimeSpan?)null));
        stuck.SetResult();
        await using var second = new NotifierFactory().UsingDatabaseOf(_a);
        _ = second.Services;

        await NotifierFactory.Eventually(async () => await second.ScalarAsync(
            "SELECT count(*) FROM privacy.outbox_messages WHERE delivered_at IS NOT NULL") == 30, "every message is delivered");
        Assert.Equal(30, _receiver.Accepted.Select(r => r.Id).Distinct().Count());
        Assert.Equal(0, _receiver.ConcurrentDuplicates);
    }
}
