using System.ComponentModel.DataAnnotations;

namespace Privacy.Api.Platform.Security;

/// <summary>
/// The API keys the service accepts. Keys are configured only as SHA-256 hashes
/// (<c>dotnet run --project src/Privacy.Api -- hash-key &lt;key&gt;</c> prints one).
/// </summary>
public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>Header that carries the key.</summary>
    public const string HeaderName = "X-Api-Key";

    public List<ApiKeyEntry> Keys { get; set; } = [];
}

/// <summary>One accepted key.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>Non-secret name of the key; recorded as the actor in the audit log.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9._-]{0,63}$")]
    public string Id { get; set; } = "";

    /// <summary>One of frontend, partner, ops, system, banner (the public key in the website's pages).</summary>
    [Required, AllowedValues(Roles.Frontend, Roles.Partner, Roles.Ops, Roles.System, Roles.Banner)]
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
