using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Security.ApiKeys;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Revocation, expiry and last use across two replicas on one database, neither restarted: what one replica is told, the
/// other acts on within seconds (bounded retries, never a timing assertion); expiry follows each replica's clock.
/// </summary>
public sealed class ApiKeyRevocationTests(TwoReplicas replicas) : IClassFixture<TwoReplicas>
{
    private readonly HttpClient _opsA = replicas.A.Client(Roles.Ops);
    private readonly HttpClient _opsB = replicas.B.Client(Roles.Ops);

    [Fact]
    public async Task AKeyRevokedThroughTheApiIsRefusedByTwoReplicasWithinSecondsWithoutARestart()
    {
        var id = ApiKeyRequests.NewId("booking-sync");
        var (key, _) = await _opsA.CreateKey(new { id, role = Roles.System, system = "booking" });
        var onA = replicas.A.ClientWithKey(key);
        var onB = replicas.B.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, await onA.WhoAmIStatus()); // A read the keys again before answering the create
        Assert.Equal(HttpStatusCode.OK, await onB.EventuallyWhoAmI(HttpStatusCode.OK));

        // Act
        using (var revoked = await _opsA.PostAsync($"/api-keys/{id}/revoke", null))
        {
            var view = await revoked.ReadOk<JsonElement>();
            Assert.Equal("revoked", view.GetProperty("status").GetString());
            Assert.Equal("test-ops", view.GetProperty("revokedBy").GetString());
        }

        // Assert: at once on A, within seconds on B, which was not told and not restarted.
        Assert.Equal(HttpStatusCode.Unauthorized, await onA.WhoAmIStatus());
        Assert.Equal(HttpStatusCode.Unauthorized, await onB.EventuallyWhoAmI(HttpStatusCode.Unauthorized));
        using var refused = await onB.GetAsync("/requests/tasks");
        await refused.AssertProblem(HttpStatusCode.Unauthorized);
        Assert.Equal("revoked", (await _opsB.GetFromJson($"/api-keys/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AConfiguredKeyRevokedThroughTheApiIsRefusedByBothReplicasAndTheOtherConfiguredKeysStillWork()
    {
        var leakedOnA = replicas.A.ClientWithKey(ApiKeyFactory.LeakedPartnerKey);
        var leakedOnB = replicas.B.ClientWithKey(ApiKeyFactory.LeakedPartnerKey);
        Assert.Equal(HttpStatusCode.OK, await leakedOnA.WhoAmIStatus());
        Assert.Equal(HttpStatusCode.OK, await leakedOnB.WhoAmIStatus());

        // Act: revoked through B, without touching either replica's configuration.
        using (var revoked = await _opsB.PostAsync($"/api-keys/{ApiKeyFactory.LeakedPartnerId}/revoke", null))
        {
            var view = await revoked.ReadOk<JsonElement>();
            Assert.Equal("configuration", view.GetProperty("source").GetString());
            Assert.Equal("revoked", view.GetProperty("status").GetString());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await leakedOnB.WhoAmIStatus());
        Assert.Equal(HttpStatusCode.Unauthorized, await leakedOnA.EventuallyWhoAmI(HttpStatusCode.Unauthorized));
        using (var feed = await leakedOnA.GetAsync("/partner/feed"))
        {
            await feed.AssertProblem(HttpStatusCode.Unauthorized);
        }

        Assert.Equal(HttpStatusCode.OK, await replicas.A.Client(Roles.Partner).WhoAmIStatus());
        Assert.Equal(HttpStatusCode.OK, await replicas.B.Client(Roles.Partner).WhoAmIStatus());
        var listed = (await _opsA.GetFromJson("/api-keys")).EnumerateArray().Single(k => k.GetProperty("id").GetString() == ApiKeyFactory.LeakedPartnerId);
        Assert.Equal("revoked", listed.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AKeyExpiresByTheReplicasClockAndAnExpiryCanBeSetLater()
    {
        var now = replicas.A.Time.GetUtcNow();
        var (expiring, _) = await _opsA.CreateKey(new { id = ApiKeyRequests.NewId("website"), role = Roles.Frontend, expiresAt = now.AddHours(1) });
        var laterId = ApiKeyRequests.NewId("website");
        var (later, _) = await _opsA.CreateKey(new { id = laterId, role = Roles.Frontend });
        using (var set = await _opsA.PutJson($"/api-keys/{laterId}/expiry", new { expiresAt = now.AddMinutes(90) }))
        {
            Assert.Equal("active", (await set.ReadOk<JsonElement>()).GetProperty("status").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, await replicas.A.ClientWithKey(expiring).WhoAmIStatus());

        // Act: only the clock moves; nothing is read from the database in between.
        replicas.A.Time.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(HttpStatusCode.Unauthorized, await replicas.A.ClientWithKey(expiring).WhoAmIStatus());
        Assert.Equal(HttpStatusCode.OK, await replicas.A.ClientWithKey(later).WhoAmIStatus());
        replicas.A.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(HttpStatusCode.Unauthorized, await replicas.A.ClientWithKey(later).WhoAmIStatus());

        // An expired key stays expired.
        Assert.Equal("expired", (await _opsA.GetFromJson($"/api-keys/{laterId}")).GetProperty("status").GetString());
        using var revive = await _opsA.PutJson($"/api-keys/{laterId}/expiry", new { expiresAt = replicas.A.Time.GetUtcNow().AddDays(1) });
        await revive.AssertProblem(HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Unauthorized, await replicas.A.ClientWithKey(later).WhoAmIStatus());
    }

    [Fact]
    public async Task LastUseIsKeptToTheMinuteWithoutAWritePerRequestAndReachesTheOtherReplica()
    {
        var id = ApiKeyRequests.NewId("card");
        var (key, created) = await _opsA.CreateKey(new { id, role = Roles.Partner, recipient = "card-provider" });
        Assert.Equal(JsonValueKind.Null, created.GetProperty("lastUsedAt").ValueKind);
        var usage = replicas.A.Services.GetRequiredService<ApiKeyUsage>();
        await usage.FlushAsync(CancellationToken.None); // nothing of this key is waiting
        var firstUse = replicas.A.Time.GetUtcNow();

        Assert.Equal(HttpStatusCode.OK, await replicas.A.ClientWithKey(key).WhoAmIStatus());
        replicas.A.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, await replicas.A.ClientWithKey(key).WhoAmIStatus());

        // A sees its own use at once; B only what A has written, and nothing is written per request.
        Assert.Equal(firstUse, LastUsedAt(await _opsA.GetFromJson($"/api-keys/{id}")));
        Assert.Equal(0, await replicas.A.ScalarAsync("SELECT count(*) FROM privacy.api_key_last_use WHERE key_id = $1", id));
        Assert.Null(LastUsedAt(await _opsB.GetFromJson($"/api-keys/{id}")));

        // Act
        await usage.FlushAsync(CancellationToken.None);

        Assert.Equal(firstUse, LastUsedAt(await _opsB.GetFromJson($"/api-keys/{id}"))); // the second use was within the minute
        replicas.A.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, await replicas.A.ClientWithKey(key).WhoAmIStatus());
        await usage.FlushAsync(CancellationToken.None);
        Assert.Equal(replicas.A.Time.GetUtcNow(), LastUsedAt(await _opsB.GetFromJson($"/api-keys/{id}")));
        Assert.Equal(replicas.A.Time.GetUtcNow(),
            LastUsedAt((await _opsB.GetFromJson("/api-keys")).EnumerateArray().Single(k => k.GetProperty("id").GetString() == id)));
    }

    private static DateTimeOffset? LastUsedAt(JsonElement view) =>
        view.GetProperty("lastUsedAt").ValueKind == JsonValueKind.Null ? null : view.GetProperty("lastUsedAt").GetDateTimeOffset();
}
