using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>
/// The service with one more configured key, a partner key this class's tests revoke (the role keys stay usable for every
/// other test of the class).
/// </summary>
public sealed class ApiKeyFactory : PrivacyApiFactory
{
    public const string LeakedPartnerKey = "test-leaked-partner-key-e4c7a9";

    public const string LeakedPartnerId = "test-leaked-partner";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // A high index: the list binds whatever the indexes are, after the base class's keys.
        builder.UseSetting("ApiKeys:Keys:90:Id", LeakedPartnerId);
        builder.UseSetting("ApiKeys:Keys:90:Role", Roles.Partner);
        builder.UseSetting("ApiKeys:Keys:90:Hash", ApiKeyAuthentication.Hash(LeakedPartnerKey));
        builder.UseSetting("ApiKeys:Keys:90:Recipient", "card-provider");
        builder.UseSetting("ApiKeys:LastUsedFlushInterval", "01:00:00"); // the tests flush last-used times themselves
    }
}

/// <summary>Two replicas of the service on one database, each with its own clock (the same fake start).</summary>
public sealed class TwoReplicas : IAsyncLifetime
{
    public ApiKeyFactory A { get; } = new();

    public ApiKeyFactory B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        B = (ApiKeyFactory)new ApiKeyFactory().UsingDatabaseOf(A);
        _ = B.Services;
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

public static class ApiKeyRequests
{
    /// <summary>A fresh key id (tests of a class share one database).</summary>
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>Creates a key through the API; returns the key shown once and the key's description.</summary>
    public static async Task<(string Key, JsonElement ApiKey)> CreateKey(this HttpClient ops, object request)
    {
        using var response = await ops.PostJson("/api-keys", request);
        var created = await response.ReadOk<JsonElement>(HttpStatusCode.Created);
        return (created.GetProperty("key").GetString()!, created.GetProperty("apiKey"));
    }

    public static Task<HttpResponseMessage> PutJson(this HttpClient client, string url, object body) =>
        client.PutAsJsonAsync(url, body, HttpAssertions.Json);

    /// <summary>GETs <paramref name="url"/>, asserting 200; returns the JSON.</summary>
    public static async Task<JsonElement> GetFromJson(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        return await response.ReadOk<JsonElement>();
    }

    /// <summary>The status of <c>GET /whoami</c> with <paramref name="client"/>'s key.</summary>
    public static async Task<HttpStatusCode> WhoAmIStatus(this HttpClient client)
    {
        using var response = await client.GetAsync("/whoami");
        return response.StatusCode;
    }

    /// <summary>
    /// Asks until <c>GET /whoami</c> answers <paramref name="wanted"/>, or gives up after a generous number of tries (a replica
    /// reads the keys every ApiKeys:RefreshInterval, 2 s): returns the last status. A bounded retry, not a timing assertion.
    /// </summary>
    public static async Task<HttpStatusCode> EventuallyWhoAmI(this HttpClient client, HttpStatusCode wanted)
    {
        var status = await client.WhoAmIStatus();
        for (var attempt = 0; attempt < 300 && status != wanted; attempt++)
        {
            await Task.Delay(100);
            status = await client.WhoAmIStatus();
        }

        return status;
    }
}
