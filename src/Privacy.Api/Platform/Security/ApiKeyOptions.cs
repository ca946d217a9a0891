using System.ComponentModel.DataAnnotations;

namespace Privacy.Api.Platform.Security;

/// <summary>
/// The API keys the service accepts: the configured ones below (the bootstrap, configured only as SHA-256 hashes:
/// <c>dotnet run --project src/Privacy.Api -- hash-key &lt;key&gt;</c> prints one), and those ops create at run time
/// (<c>/api-keys</c>, stored as hashes in the database). Either kind can be revoked or given an expiry at run time.
/// </summary>
public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>Header that carries the key.</summary>
    public const string HeaderName = "X-Api-Key";

    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>
    /// How often each replica reads the keys, revocations and expiries from the database (default 2 s): a key revoked on one
    /// replica is refused by every other one within this interval, without a restart.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often each replica writes the keys' last-used times (default 30 s). They are kept to the minute in memory, so a busy
    /// key costs one row write per interval, not one per request.
    /// </summary>
    public TimeSpan LastUsedFlushInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>One accepted key.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>Non-secret name of the key; recorded as the actor in the audit log.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9._-]{0,63}$")]
    public string Id { get; set; } = "";

    /// <summary>One of frontend, partner, ops, system, banner (the public key in the website's pages), metrics (the Prometheus scrape).</summary>
    [Required, AllowedValues(Roles.Frontend, Roles.Partner, Roles.Ops, Roles.System, Roles.Banner, Roles.Metrics)]
    public string Role { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the key.</summary>
    [Required, RegularExpression("^[0-9a-fA-F]{64}$")]
    public string Hash { get; set; } = "";

    /// <summary>For a partner key: the registry recipient whose data it may see.</summary>
    public string? Recipient { get; set; }

    /// <summary>
    /// For a system key: the internal system it speaks for, so it reads and answers only that system's rights-request
    /// tasks and reports only its clock events. Required outside Development (the service refuses to start without it); only
    /// there may a system key without one (<c>dev-system-key</c>) act for every system.
    /// </summary>
    public string? System { get; set; }
}
