using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Privacy.Api.Consent;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Consent.ConsentRequests;

namespace Privacy.Api.Tests.Consent;

/// <summary>
/// Two replicas of the service on one database: whatever one records, the other answers at once, even
/// when it had the old state in its cache. A stale answer here would be a compliance bug.
/// </summary>
public sealed class ConsentStateCacheTests : IAsyncLifetime
{
    private readonly PrivacyApiFactory _a = new();
    private PrivacyApiFactory _b = null!;
    private HttpClient _writerA = null!;
    private HttpClient _readerB = null!;

    public async Task InitializeAsync()
    {
        await _a.InitializeAsync();
        _b = new PrivacyApiFactory().UsingDatabaseOf(_a);
        _ = _b.Services;
        _writerA = _a.Client(Roles.Frontend);
        _readerB = _b.Client(Roles.Frontend);
        await WaitUntil(() => Cache(_a).Online && Cache(_b).Online);
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    private static ConsentStateCache Cache(PrivacyApiFactory factory) => factory.Services.GetRequiredService<ConsentStateCache>();

    [Fact]
    public async Task AReplicaNeverAnswersFromItsCacheWhatAnotherReplicaHasJustChanged()
    {
        var visitor = NewVisitorId();
        var hitsBefore = Cache(_b).Hits;
        for (var round = 0; round < 60; round++)
        {
            var status = round % 2 == 0 ? "granted" : "denied";

            await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", status)]));
            var first = await _readerB.State("visitor", visitor);
            var second = await _readerB.State("visitor", visitor); // from B's cache, if anywhere

            Assert.Equal(status, first.Purpose("cookies.statistics").GetProperty("status").GetString());
            Assert.Equal(status, second.Purpose("cookies.statistics").GetProperty("status").GetString());
        }

        Assert.True(Cache(_b).Hits - hitsBefore >= 10, "the reader's cache answered too few reads for this test to mean anything");
    }

    [Fact]
    public async Task AReadWaitsForEveryChangeCommittedBeforeItEvenWhenNotificationsAreLate()
    {
        var visitor = NewVisitorId();
        await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        var cache = Cache(_b);
        var key = ConsentStateCache.Key(SubjectType.Visitor, visitor);
        for (var i = 0; i < 20 && !cache.MayHave(key); i++)
        {
            Assert.Equal("granted", (await _readerB.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("status").GetString());
        }

        Assert.True(cache.MayHave(key), "B never cached the subject");
        cache.NotificationsFlowing.Reset(); // B's listener falls behind
        try
        {
            await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", "denied")]));

            // Act: B is asked while it has not yet heard of the change.
            var read = _readerB.State("visitor", visitor);
            var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromMilliseconds(300)));

            // Assert: it does not answer from its cache; once the listener catches up it answers the change.
            Assert.NotSame(read, first);
            cache.NotificationsFlowing.Set();
            Assert.Equal("denied", (await read).Purpose("cookies.statistics").GetProperty("status").GetString());
        }
        finally
        {
            cache.NotificationsFlowing.Set();
        }
    }

    [Fact]
    public void AReadThatFetchedBeforeAChangeWasAnnouncedDoesNotStoreWhatItFetched()
    {
        var cache = Cache(_b);
        var key = ConsentStateCache.Key(SubjectType.Visitor, NewVisitorId());
        var fetched = new StoredState([], []);

        var before = cache.GenerationForStore()!.Value; // a read begins its query…
        cache.OnNotification(key);                     // …a change to that subject is announced meanwhile…
        cache.TryStore(key, fetched, before);          // …so what it fetched may be old: not kept

        Assert.False(cache.MayHave(key));
        cache.TryStore(key, fetched, cache.GenerationForStore()!.Value);
        Assert.True(cache.MayHave(key));
        cache.OnNotification("*");
        Assert.False(cache.MayHave(key));
    }

    [Fact]
    public async Task AChangeWrittenStraightIntoTheDatabaseReachesEveryCache()
    {
        var visitor = NewVisitorId();
        var recorded = await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        Assert.Equal("granted", (await _readerB.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("status").GetString());
        Assert.Equal("granted", (await _readerB.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("status").GetString());

        // Another writer than the service (a later erasure job, a migration) records a newer choice.
        await using (var connection = await _a.OpenDatabaseAsync())
        {
            var eventId = Guid.CreateVersion7();
            var at = recorded.GetProperty("occurredAt").GetDateTimeOffset().AddSeconds(1);
            foreach (var sql in new[]
                     {
                         """
                         INSERT INTO privacy.consent_events (id, subject_type, subject_id, kind, policy_version, channel, language, gpc, occurred_at, recorded_by)
                         VALUES ($1, 'Visitor', $2, 'Withdrawal', '2022-02-08', 'Ops', 'sv', false, $3, 'test')
                         """,
                         """
                         INSERT INTO privacy.consent_choices (event_id, purpose_key, granted, requested, subject_type, subject_id, occurred_at)
                         VALUES ($1, 'cookies.statistics', false, false, 'Visitor', $2, $3)
                         """,
                     })
            {
                await using var insert = new NpgsqlCommand(sql, connection);
                insert.Parameters.AddWithValue(eventId);
                insert.Parameters.AddWithValue(visitor);
                insert.Parameters.AddWithValue(at);
                await insert.ExecuteNonQueryAsync();
            }
        }

        Assert.Equal("denied", (await _readerB.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("status").GetString());
    }

    [Fact]
    public async Task LinkingAVisitorOnOneReplicaChangesTheCustomersStateOnTheOther()
    {
        var (visitor, customer) = (NewVisitorId(), NewCustomerNumber());
        await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("never_asked", (await _readerB.State("customer", customer)).Purpose("cookies.statistics").GetProperty("status").GetString());
        }

        (await _writerA.PostAsJsonAsync($"/consent/subjects/visitor/{visitor}/link", new { customerNumber = customer })).EnsureSuccessStatusCode();

        Assert.Equal("granted", (await _readerB.State("customer", customer)).Purpose("cookies.statistics").GetProperty("status").GetString());

        // …and a later choice of the visitor reaches the customer's cached state too.
        await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", "denied")]));
        Assert.Equal("denied", (await _readerB.State("customer", customer)).Purpose("cookies.statistics").GetProperty("status").GetString());
    }

    [Fact]
    public async Task APolicyVersionPublishedOnOneReplicaReachesTheOthersCachedStates()
    {
        var visitor = NewVisitorId();
        await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        await _readerB.State("visitor", visitor);
        await _readerB.State("visitor", visitor);

        var effective = _b.Time.GetUtcNow().AddMinutes(1);
        (await _a.Client(Roles.Ops).PostAsJsonAsync("/consent/policy-versions", new
        {
            version = "2026-11-26", effectiveFrom = effective, material = true, textSv = "Ny policy", textEn = "New policy",
        })).EnsureSuccessStatusCode();
        _b.Time.Advance(TimeSpan.FromMinutes(2));

        var state = await _readerB.State("visitor", visitor);
        Assert.Equal("2026-11-26", state.GetProperty("currentPolicyVersion").GetString());
        Assert.True(state.Purpose("cookies.statistics").GetProperty("reconsentRequired").GetBoolean());
    }

    [Fact]
    public async Task WithoutItsListenerAReplicaReadsTheDatabaseAndComesBackFlushed()
    {
        var visitor = NewVisitorId();
        await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        await _readerB.State("visitor", visitor);
        await _readerB.State("visitor", visitor);

        // Act: cut every listener connection, then change the state while nobody listens.
        await using (var connection = await _a.OpenDatabaseAsync())
        {
            await new NpgsqlCommand(
                $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN {ConsentStateCache.Channel}'",
                connection).ExecuteNonQueryAsync();
        }

        await _writerA.Record(Decision("visitor", visitor, [("cookies.statistics", "denied")]));

        // Assert: whether B is offline or already back, it answers the current state.
        Assert.Equal("denied", (await _readerB.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("status").GetString());
        await WaitUntil(() => Cache(_b).Online);
        Assert.Equal("denied", (await _readerB.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("status").GetString());
        Assert.Equal("denied", (await _readerB.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("status").GetString());
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "condition not reached within 10 s");
    }
}
