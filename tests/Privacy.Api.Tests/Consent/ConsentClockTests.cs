using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Consent.ConsentRequests;

namespace Privacy.Api.Tests.Consent;

/// <summary>Policy changes and expiry: each test moves the clock of a service of its own.</summary>
public sealed class ConsentClockTests : IAsyncLifetime
{
    private readonly PrivacyApiFactory _factory = new();
    private HttpClient _frontend = null!;
    private HttpClient _ops = null!;

    public async Task InitializeAsync()
    {
        await _factory.InitializeAsync();
        _frontend = _factory.Client(Roles.Frontend);
        _ops = _factory.Client(Roles.Ops);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private Task<HttpResponseMessage> Publish(string version, DateTimeOffset effectiveFrom, bool material) =>
        _ops.PostJson("/consent/policy-versions", new
        {
            version, effectiveFrom, material, summary = "Test change", textSv = $"Integritetspolicy {version}", textEn = $"Privacy policy {version}",
        });

    [Fact]
    public async Task AMaterialPolicyVersionMakesEarlierConsentsAskForReconsentOnceItTakesEffect()
    {
        var visitor = NewVisitorId();
        await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted"), ("cookies.preferences", "denied")]));
        var effective = _factory.Time.GetUtcNow().AddDays(7);
        (await Publish("2026-12-02", effective, material: true)).EnsureSuccessStatusCode();

        var before = await _frontend.State("visitor", visitor);
        Assert.False(before.Purpose("cookies.statistics").GetProperty("reconsentRequired").GetBoolean());
        Assert.Equal(SeedVersion, before.GetProperty("currentPolicyVersion").GetString());

        _factory.Time.Advance(TimeSpan.FromDays(8));
        var after = await _frontend.State("visitor", visitor);

        Assert.Equal("2026-12-02", after.GetProperty("currentPolicyVersion").GetString());
        var statistics = after.Purpose("cookies.statistics");
        Assert.True(statistics.GetProperty("reconsentRequired").GetBoolean());
        Assert.False(statistics.GetProperty("active").GetBoolean());
        Assert.True(after.GetProperty("askAgain").GetBoolean());
        Assert.False(after.Purpose("cookies.preferences").GetProperty("reconsentRequired").GetBoolean()); // a refusal needs no re-consent

        // Consenting again under the new version clears it.
        var again = await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted"), ("cookies.preferences", "denied")], "2026-12-02"));
        Assert.True(again.GetProperty("state").Purpose("cookies.statistics").GetProperty("active").GetBoolean());
        Assert.False(again.GetProperty("state").Purpose("cookies.statistics").GetProperty("reconsentRequired").GetBoolean());
        Assert.False(again.GetProperty("state").GetProperty("askAgain").GetBoolean()); // every cookie purpose answered under the new version
    }

    [Fact]
    public async Task ANonMaterialVersionDoesNotAskAgain()
    {
        var visitor = NewVisitorId();
        await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        (await Publish("2026-11-26-typo", _factory.Time.GetUtcNow().AddHours(1), material: false)).EnsureSuccessStatusCode();

        _factory.Time.Advance(TimeSpan.FromHours(2));
        var state = await _frontend.State("visitor", visitor);

        Assert.Equal("2026-11-26-typo", state.GetProperty("currentPolicyVersion").GetString());
        Assert.False(state.Purpose("cookies.statistics").GetProperty("reconsentRequired").GetBoolean());
        Assert.True(state.Purpose("cookies.statistics").GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task AConsentOlderThanItsValidityIsExpired()
    {
        var visitor = NewVisitorId();
        var recorded = await _frontend.Record(Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        var expiresAt = recorded.GetProperty("state").Purpose("cookies.statistics").GetProperty("expiresAt").GetDateTimeOffset();
        Assert.Equal(_factory.Time.GetUtcNow().AddMonths(12), expiresAt);

        _factory.Time.Advance(expiresAt - _factory.Time.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.False((await _frontend.State("visitor", visitor)).Purpose("cookies.statistics").GetProperty("expired").GetBoolean());

        _factory.Time.Advance(TimeSpan.FromSeconds(1));
        var state = await _frontend.State("visitor", visitor);

        var statistics = state.Purpose("cookies.statistics");
        Assert.True(statistics.GetProperty("expired").GetBoolean());
        Assert.False(statistics.GetProperty("active").GetBoolean());
        Assert.Equal("granted", statistics.GetProperty("status").GetString());
        Assert.True(state.GetProperty("askAgain").GetBoolean());
    }

    [Fact]
    public async Task PolicyVersionsArePublishedByOpsInOrderAndReadableByTheFrontend()
    {
        using var frontendPublish = await _frontend.PostJson("/consent/policy-versions", new
        {
            version = "2027-01-01", effectiveFrom = _factory.Time.GetUtcNow().AddDays(1), material = true, textSv = "a", textEn = "b",
        });
        await frontendPublish.AssertProblem(HttpStatusCode.Forbidden);

        using var backdated = await Publish("2021-01-01", new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero), material: false);
        Assert.Equal(["effectiveFrom"], await backdated.AssertValidationErrors());
        using var duplicate = await Publish(SeedVersion, _factory.Time.GetUtcNow().AddDays(1), material: false);
        await duplicate.AssertProblem(HttpStatusCode.Conflict);

        var current = await _frontend.GetFromJsonAsync<JsonElement>("/consent/policy-versions/current");
        Assert.Equal(SeedVersion, current.GetProperty("version").GetString());
        Assert.StartsWith("Privacy Policy", current.GetProperty("textEn").GetString());
        Assert.Contains("Integritetspolicy", current.GetProperty("textSv").GetString());
        Assert.Matches("^[0-9a-f]{64}$", current.GetProperty("textSvSha256").GetString());
        Assert.True(current.GetProperty("material").GetBoolean());
    }
}
