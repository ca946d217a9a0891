using FluentValidation;

namespace Privacy.Api.Platform.Security.ApiKeys;

/// <summary>A new key: its id, role and binding, and optionally when it stops working.</summary>
/// <param name="Id">Non-secret name, recorded as the actor in the audit log; unique among configured and stored keys, never reused.</param>
/// <param name="Role">frontend, partner, ops, system, banner or metrics.</param>
/// <param name="Recipient">Partner keys only, and required for them: the registry recipient whose data the key may see.</param>
/// <param name="System">System keys only (required outside Development): the internal system the key speaks for.</param>
/// <param name="ExpiresAt">When the key stops working (in the future); none: until it is revoked.</param>
public sealed record CreateApiKeyRequest(string? Id, string? Role, string? Recipient = null, string? System = null, DateTimeOffset? ExpiresAt = null);

/// <summary>When the key stops working: an instant in the future (earlier or later than a current expiry).</summary>
public sealed record SetApiKeyExpiryRequest(DateTimeOffset? ExpiresAt);

/// <summary>Where a key is defined.</summary>
public enum ApiKeySource
{
    /// <summary>In the service's configuration (<c>ApiKeys:Keys</c>, the bootstrap): revoked or given an expiry here, changed only by a deployment.</summary>
    Configuration = 1,

    /// <summary>Created through <c>POST /api-keys</c> and stored as a hash in the database.</summary>
    Database,
}

/// <summary>Whether a key is accepted now.</summary>
public enum ApiKeyStatus
{
    /// <summary>Accepted.</summary>
    Active = 1,

    /// <summary>Its expiry has passed; refused.</summary>
    Expired,

    /// <summary>Revoked; refused, on every replica within seconds.</summary>
    Revoked,
}

/// <summary>
/// A key as ops see it: never the key nor its hash. <c>createdAt</c> and <c>createdBy</c> are null for a configured key;
/// <c>lastUsedAt</c> is accurate to about a minute (each replica writes it every <c>ApiKeys:LastUsedFlushInterval</c>).
/// </summary>
public sealed record ApiKeyResponse(
    string Id, string Role, string? Recipient, string? System, ApiKeySource Source, ApiKeyStatus Status, DateTimeOffset? CreatedAt,
    string? CreatedBy, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string? RevokedBy, DateTimeOffset? LastUsedAt);

/// <summary>A new key. Give <c>key</c> to its holder now: it is not stored and never shown again.</summary>
/// <param name="Key">The key to send in <c>X-Api-Key</c>: <c>smpk_</c> and 43 characters (32 random bytes, base64url).</param>
public sealed record CreatedApiKey(string Key, ApiKeyResponse ApiKey);

internal static class ApiKeyRules
{
    /// <summary>The same pattern as configured ids (<see cref="ApiKeyEntry.Id"/>).</summary>
    public const string IdPattern = "^[a-z0-9][a-z0-9._-]{0,63}$";

    public static bool IsId(string? id) => id is not null && System.Text.RegularExpressions.Regex.IsMatch(id, IdPattern);
}

internal sealed class CreateApiKeyRequestValidator : AbstractValidator<CreateApiKeyRequest>
{
    public CreateApiKeyRequestValidator(TimeProvider time, IHostEnvironment environment)
    {
        RuleFor(r => r.Id).Cascade(CascadeMode.Stop).NotEmpty().Matches(ApiKeyRules.IdPattern)
            .WithMessage("'id' must be 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.");
        RuleFor(r => r.Role).Cascade(CascadeMode.Stop).NotEmpty().Must(role => Roles.All.Contains(role!))
            .WithMessage($"'role' must be one of {string.Join(", ", Roles.All)}.");
        RuleFor(r => r.Recipient).NotEmpty().When(r => r.Role == Roles.Partner)
            .WithMessage("A partner key must name its registry recipient ('recipient').");
        RuleFor(r => r.Recipient).Null().When(r => r.Role != Roles.Partner)
            .WithMessage("Only a partner key names a recipient.");
        RuleFor(r => r.Recipient).MaximumLength(100);
        // Outside Development an unbound system key would read and answer every system's tasks (OWASP API1), as configured keys.
        RuleFor(r => r.System).NotEmpty().When(r => r.Role == Roles.System && !environment.IsDevelopment())
            .WithMessage("A system key must name the internal system it speaks for ('system').");
        RuleFor(r => r.System).Null().When(r => r.Role != Roles.System)
            .WithMessage("Only a system key names a system.");
        RuleFor(r => r.System).MaximumLength(100);
        RuleFor(r => r.ExpiresAt).Must(at => at > time.GetUtcNow()).When(r => r.ExpiresAt is not null)
            .WithMessage("'expiresAt' must be in the future.");
    }
}

internal sealed class SetApiKeyExpiryRequestValidator : AbstractValidator<SetApiKeyExpiryRequest>
{
    public SetApiKeyExpiryRequestValidator(TimeProvider time) =>
        RuleFor(r => r.ExpiresAt).Cascade(CascadeMode.Stop).NotNull().Must(at => at > time.GetUtcNow())
            .WithMessage("'expiresAt' must be in the future (to end a key now, revoke it).");
}
