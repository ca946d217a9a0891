using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>
/// The real service over a real PostgreSQL database of its own (one per test class), with one API key
/// per role and a <see cref="FakeTimeProvider"/> as the clock.
/// </summary>
public class PrivacyApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>
    {
        [Roles.Ops] = "test-ops-key-5b1f0c",
        [Roles.Frontend] = "test-frontend-key-93a2d7",
        [Roles.System] = "test-system-key-c44e18",
        [Roles.Partner] = "test-partner-key-0d7be2",
        [Roles.Banner] = "test-banner-key-2f88c1",
        [Roles.Metrics] = "test-metrics-key-6a0e93",
    };

    /// <summary>A second partner, bound to the invoicing partner (the role key above is the card provider's).</summary>
    public const string OtherPartnerKey = "test-partner-b-key-5e91aa";

    /// <summary>A system key bound to the booking system: it sees and answers only that system's tasks.</summary>
    public const string BookingSystemKey = "test-system-booking-key-7c03f1";

    /// <summary>The system the role's key (<c>Keys[Roles.System]</c>) is bound to: the tests run outside Development, where
    /// every system key must be bound. Booking, the system the documented examples name.</summary>
    public const string SystemKeySystem = "booking";

    /// <summary>One key bound to each internal system of the seeded registry, for answering that system's tasks.</summary>
    public static readonly IReadOnlyDictionary<string, string> SystemKeys = new Dictionary<string, string>
    {
        ["booking"] = BookingSystemKey,
        ["website"] = "test-system-website-key-41d6b0",
        ["email"] = "test-system-email-key-a87e35",
        ["accounting"] = "test-system-accounting-key-2c9f64",
    };

    /// <summary>The data keys the tests run with: outside Development each use needs its own (DataKeys:{use}:Keys:{id}, :Current).</summary>
    public static readonly IReadOnlyDictionary<string, (string Id, string Key)> DataKeys = new Dictionary<string, (string, string)>
    {
        ["ProofHashing"] = ("test-1", Convert.ToBase64String("test-proof-hashing-key-of-32-bytes!!"u8)),
        ["IdentityNumberHashing"] = ("test-1", Convert.ToBase64String("test-identity-number-key-32-bytes!!"u8)),
        ["SecretEncryption"] = ("test-1", Convert.ToBase64String("test-secret-encryption-key-32-byte!"u8)),
    };

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));

    /// <summary>What webhook host names resolve to, for registration and the relay alike (nothing, until a test maps a name).</summary>
    public TestResolver Resolver { get; } = new();

    public string ConnectionString { get; private set; } = "";

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync(GetType().Name);
        _ = Services; // start the host: migrations and seed run now
    }

    /// <summary>Uses the database of another factory (e.g. to start the service twice on one database).</summary>
    public PrivacyApiFactory UsingDatabaseOf(PrivacyApiFactory other) => UsingConnectionString(other.ConnectionString);

    private readonly Dictionary<string, string?> _settings = [];

    /// <summary>One more setting, applied after the defaults above (e.g. a second data key for a rotation).</summary>
    public PrivacyApiFactory WithSetting(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Uses an existing database instead of creating one in <see cref="InitializeAsync"/>.</summary>
    public PrivacyApiFactory UsingConnectionString(string connectionString)
    {
        ConnectionString = connectionString;
        return this;
    }

    public new virtual async Task DisposeAsync() => await base.DisposeAsync();

    /// <summary>A client that sends the API key of <paramref name="role"/> (or none when null).</summary>
    public HttpClient Client(string? role) => ClientWithKey(role is null ? null : Keys[role]);

    /// <summary>A client with the system key bound to <paramref name="system"/> (its key id is <c>test-system-{system}</c>).</summary>
    public HttpClient SystemClient(string system) => ClientWithKey(SystemKeys[system]);

    /// <summary>The website's server acting for the customer signed in on it (the X-Signed-In-Customer header).</summary>
    public HttpClient WebsiteFor(string signedInCustomer)
    {
        var client = Client(Roles.Frontend);
        client.DefaultRequestHeaders.Add(SignedInCustomer.HeaderName, signedInCustomer);
        return client;
    }

    /// <summary>A client that sends <paramref name="key"/> as its API key (or none when null).</summary>
    public HttpClient ClientWithKey(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyOptions.HeaderName, key);
        }

        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>Seals every committed audit entry now, instead of waiting for the background sealer.</summary>
    public Task<int> SealAuditAsync() => Services.GetRequiredService<AuditSealer>().SealPendingAsync(CancellationToken.None);

    /// <summary>Runs one query on the test's database and returns its single value as a number (counts, ids, positions).</summary>
    public async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Privacy", ConnectionString);
        foreach (var (use, (id, key)) in DataKeys)
        {
            builder.UseSetting($"DataKeys:{use}:Keys:{id}", key);
            builder.UseSetting($"DataKeys:{use}:Current", id);
        }

        builder.UseSetting("PrivacyCenter:PublicUrl", "https://privacy.test"); // links in messages; browser tests open their paths
        builder.UseSetting("PrivacyCenter:SweepEnabled", "false"); // tests run the privacy center's sweep when they move the clock
        builder.UseSetting("PrivacyCenter:RateLimitPermits", "1000000"); // every test request comes from one address; PrivacyCenterLimitTests limit it
        builder.UseSetting("Retention:SweepEnabled", "false"); // tests sweep when they choose (POST /retention/sweeps)
        builder.UseSetting("Banner:RateLimitPermits", "1000000"); // the walks over every endpoint use the banner key too; BannerRateLimitTests limit it
        var index = 0;
        foreach (var (role, key) in Keys)
        {
            builder.UseSetting($"ApiKeys:Keys:{index}:Id", $"test-{role}");
            builder.UseSetting($"ApiKeys:Keys:{index}:Role", role);
            builder.UseSetting($"ApiKeys:Keys:{index}:Hash", ApiKeyAuthentication.Hash(key));
            if (role == Roles.Partner)
            {
                builder.UseSetting($"ApiKeys:Keys:{index}:Recipient", "card-provider");
            }

            if (role == Roles.System)
            {
                builder.UseSetting($"ApiKeys:Keys:{index}:System", SystemKeySystem);
            }

            index++;
        }

        builder.UseSetting($"ApiKeys:Keys:{index}:Id", "test-partner-b");
        builder.UseSetting($"ApiKeys:Keys:{index}:Role", Roles.Partner);
        builder.UseSetting($"ApiKeys:Keys:{index}:Hash", ApiKeyAuthentication.Hash(OtherPartnerKey));
        builder.UseSetting($"ApiKeys:Keys:{index}:Recipient", "invoicing-partner");
        index++;
        foreach (var (system, key) in SystemKeys)
        {
            builder.UseSetting($"ApiKeys:Keys:{index}:Id", $"test-system-{system}");
            builder.UseSetting($"ApiKeys:Keys:{index}:Role", Roles.System);
            builder.UseSetting($"ApiKeys:Keys:{index}:Hash", ApiKeyAuthentication.Hash(key));
            builder.UseSetting($"ApiKeys:Keys:{index}:System", system);
            index++;
        }

        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(SuiteLog.AddTo); // every record, for the suite-wide scan (Logging/LogScanTests)
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
            services.RemoveAll<IEndpointResolver>();
            services.AddSingleton<IEndpointResolver>(Resolver);
        });
    }
}
