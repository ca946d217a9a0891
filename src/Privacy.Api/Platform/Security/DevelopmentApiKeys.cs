namespace Privacy.Api.Platform.Security;

/// <summary>
/// The documented keys accepted in the Development environment only (README, "Development API keys").
/// They are hashed like any other key; Production accepts only keys configured as hashes.
/// </summary>
public static class DevelopmentApiKeys
{
    public static readonly IReadOnlyList<(string Key, string Id, string Role, string? Recipient)> Keys =
    [
        ("dev-ops-key", "dev-ops", Roles.Ops, null),
        ("dev-frontend-key", "dev-frontend", Roles.Frontend, null),
        ("dev-system-key", "dev-system", Roles.System, null),
        ("dev-partner-card-key", "dev-partner-card", Roles.Partner, "card-provider"),
        ("dev-partner-invoicing-key", "dev-partner-invoicing", Roles.Partner, "invoicing-partner"),
        ("dev-banner-key", "dev-banner", Roles.Banner, null),
    ];

    internal static void AddTo(ApiKeyOptions options)
    {
        foreach (var (key, id, role, recipient) in Keys)
        {
            if (options.Keys.All(k => k.Id != id))
            {
                options.Keys.Add(new ApiKeyEntry { Id = id, Role = role, Hash = ApiKeyAuthentication.Hash(key), Recipient = recipient });
            }
        }
    }
}
