using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Security.ApiKeys;

namespace Privacy.Api.Platform.Security;

public static class ApiKeyAuthentication
{
    public const string Scheme = "ApiKey";
    public const string KeyIdClaim = "key_id";
    public const string RecipientClaim = "recipient";
    public const string SystemClaim = "system";

    /// <summary>Lower-case hex SHA-256 of a key: the only form in which keys are stored.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static WebApplicationBuilder AddApiKeyAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiKeyOptions>()
            .BindConfiguration(ApiKeyOptions.Section)
            .Validate(o => o.Keys.All(k => k.Role != Roles.Partner || !string.IsNullOrWhiteSpace(k.Recipient)),
                "Every partner key must name its Recipient.")
            .Validate(o => o.Keys.All(k => k.System is null || k.Role == Roles.System), "Only a system key may name a System.")
            .Validate(o => o.Keys.Select(k => k.Id).Distinct().Count() == o.Keys.Count, "API key ids must be unique.")
            .Validate(o => o.Keys.All(k => System.ComponentModel.DataAnnotations.Validator.TryValidateObject(
                k, new(k), null, validateAllProperties: true)), "Every API key needs an Id, a Role and a 64-hex-digit Hash.")
            .Validate(o => o.RefreshInterval > TimeSpan.Zero && o.RefreshInterval <= TimeSpan.FromMinutes(1)
                           && o.LastUsedFlushInterval > TimeSpan.Zero,
                "ApiKeys:RefreshInterval must be positive and at most a minute (a revocation waits for it), ApiKeys:LastUsedFlushInterval positive.")
            .ValidateOnStart();
        builder.Services.AddApiKeyManagement();
        if (builder.Environment.IsDevelopment())
        {
            builder.Services.PostConfigure<ApiKeyOptions>(DevelopmentApiKeys.AddTo);
        }
        else
        {
            builder.Services.AddSingleton<IValidateOptions<ApiKeyOptions>, SystemKeysAreBound>();
        }

        builder.Services.Configure<Swashbuckle.AspNetCore.SwaggerGen.SwaggerGenOptions>(o => o.OperationFilter<SignedInCustomerOperationFilter>());

        builder.Services.AddAuthentication(Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(Scheme, null);
        builder.Services.AddAuthorizationBuilder()
            // An endpoint without a policy of its own is refused to the metrics key, which may scrape /metrics and nothing else.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(Scheme).RequireRole(Roles.ApiCallers).Build())
            .AddRolePolicy(Policies.Ops)
            .AddRolePolicy(Policies.OpsOrSystem)
            .AddRolePolicy(Policies.AnyCaller)
            .AddRolePolicy(Policies.FrontendOrOps)
            .AddRolePolicy(Policies.NotPartner)
            .AddRolePolicy(Policies.Partner)
            .AddRolePolicy(Policies.ConsentRecorders)
            .AddRolePolicy(Policies.ConsentReaders)
            .AddRolePolicy(Policies.MetricsScrapers);
        return builder;
    }

    private static AuthorizationBuilder AddRolePolicy(this AuthorizationBuilder builder, string policy) =>
        builder.AddPolicy(policy, p => p.AddAuthenticationSchemes(Scheme).RequireRole(Policies.AllowedRoles[policy]));

    /// <summary>The caller of the current request, as recorded in the audit log.</summary>
    public static Actor GetActor(this ClaimsPrincipal user) => new(
        user.FindFirstValue(KeyIdClaim) ?? "anonymous",
        user.FindFirstValue(ClaimTypes.Role) ?? "none",
        user.FindFirstValue(RecipientClaim),
        user.FindFirstValue(SystemClaim));
}

/// <summary>
/// Outside Development every system key speaks for one internal system (<see cref="ApiKeyEntry.System"/>): an unbound one
/// would read and answer every system's rights-request tasks and report every system's clock events (OWASP API1).
/// </summary>
internal sealed class SystemKeysAreBound : IValidateOptions<ApiKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        var unbound = options.Keys.Where(k => k.Role == Roles.System && string.IsNullOrWhiteSpace(k.System)).Select(k => k.Id).ToList();
        return unbound.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(unbound.Select(id =>
                $"API key '{id}' is a system key without a System: outside Development every system key must name the one internal " +
                "system it speaks for (ApiKeys:Keys:N:System, a system of the registry)."));
    }
}

/// <summary>Who made a change: the key's id and role (never the key itself).</summary>
/// <param name="System">For a system key bound to one internal system: that system (it sees and answers only its own tasks).</param>
public sealed record Actor(string KeyId, string Role, string? Recipient, string? System = null)
{
    /// <summary>The service itself (seeding, background jobs).</summary>
    public static readonly Actor Service = new("privacy-service", "service", null);

    /// <summary>
    /// The internal system a call speaks for: the one it names, or else the one the key is bound to. A key bound to one
    /// system naming another is refused (403) in <paramref name="refused"/>.
    /// </summary>
    public string? SpeaksFor(string? named, out Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? refused)
    {
        refused = System is { } own && named is not null && named != own
            ? Microsoft.AspNetCore.Http.TypedResults.Problem(statusCode: Microsoft.AspNetCore.Http.StatusCodes.Status403Forbidden,
                title: "Another system's work", detail: $"This key speaks for the internal system '{own}' only.")
            : null;
        return named ?? System;
    }
}

/// <summary>
/// Authenticates <c>X-Api-Key</c> against the keys in effect (<see cref="ApiKeyStore"/>: configured and stored, less revoked ones)
/// and their expiry; answers 401/403 as problem documents.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    TimeProvider time,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private bool _keysNotRead;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeyOptions.HeaderName, out var values) || string.IsNullOrEmpty(values.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!keys.IsLoaded)
        {
            _keysNotRead = true; // fail closed: a revoked key must not pass because its revocation has not been read yet
            return Task.FromResult(AuthenticateResult.Fail("The API keys have not been read from the database yet."));
        }

        // Looking up by the key's SHA-256 leaks nothing usable about stored keys: a caller cannot steer the hash.
        var now = time.GetUtcNow();
        if (!keys.TryFind(ApiKeyAuthentication.Hash(values.ToString()), out var entry) || entry.HasExpiredAt(now))
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        entry.Use.Touch(now);
        List<Claim> claims =
        [
            new(ApiKeyAuthentication.KeyIdClaim, entry.Id),
            new(ClaimTypes.Name, entry.Id),
            new(ClaimTypes.Role, entry.Role),
        ];
        if (entry.Recipient is not null)
        {
            claims.Add(new(ApiKeyAuthentication.RecipientClaim, entry.Recipient));
        }

        if (entry.System is not null)
        {
            claims.Add(new(ApiKeyAuthentication.SystemClaim, entry.System));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyAuthentication.Scheme));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, ApiKeyAuthentication.Scheme)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_keysNotRead)
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Response.Headers.RetryAfter = "2";
            await WriteProblem(StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                "The service has not read its API keys from the database yet; retry shortly.");
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{ApiKeyAuthentication.Scheme} header=\"{ApiKeyOptions.HeaderName}\"";
        var missing = !Request.Headers.ContainsKey(ApiKeyOptions.HeaderName);
        await WriteProblem(StatusCodes.Status401Unauthorized, "Unauthorized", missing
            ? $"This endpoint requires an API key in the {ApiKeyOptions.HeaderName} header."
            : $"The API key in the {ApiKeyOptions.HeaderName} header is not valid.");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var role = Context.User.FindFirstValue(ClaimTypes.Role);
        await WriteProblem(StatusCodes.Status403Forbidden, "Forbidden", $"A key of role '{role}' may not call this endpoint.");
    }

    private async Task WriteProblem(int status, string title, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
}
