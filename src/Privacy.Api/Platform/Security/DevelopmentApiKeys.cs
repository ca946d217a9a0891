namespace Privacy.Api.Platform.Security;

/// <summary>
/// The documented keys accepted in the Development environment only (README, "Development API keys").
/// They are hashed like any other key; Production accepts only keys configured as hashes.
/// </summary>
public static class DevelopmentApiKeys
{
    /// <remarks>
    /// <c>dev-system-key</c> is bound to no system (it names one per call); <c>dev-system-email-key</c> is the e-mail system's,
    /// which fetches the reports and exports it sends to requesters.
    /// </remarks>
    public static readonly IReadOnlyList<(string Key, string Id, string Role, string? Recipient, string? System)> Keys =
    [
        ("dev-ops-key", "dev-ops", Roles.Ops, null, null),
        ("dev-frontend-key", "dev-frontend", Roles.Frontend, null, null),
        ("dev-system-key", "dev-system", Roles.System, null, null),
        ("dev-system-email-key", "dev-system-email", Roles.System, null, "email"),
        ("dev-partner-card-key", "dev-partner-card", Roles.Partner, "card-provider", null),
        ("dev-partner-invoicing-key", "dev-partner-invoicing", Roles.Partner, "invoicing-partner", null),
        ("dev-banner-key", "dev-banner", Roles.Banner, null, null),
        ("dev-metrics-key", "dev-metrics", Roles.Metrics, null, null),
    ];

    internal static void AddTo(ApiKeyOptions options)
    {
        foreach (var (key, id, role, recipient, system) in Keys)
        {
            if (options.Keys.All(k => k.Id != id))
            {
                options.Keys.Add(new ApiKeyEntry { Id = id, Role = role, Hash = ApiKeyAuthentication.Hash(key), Recipient = recipient, System = system });
            }
        }
    }
}
