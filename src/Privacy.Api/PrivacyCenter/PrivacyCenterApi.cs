using Microsoft.Extensions.Options;

namespace Privacy.Api.PrivacyCenter;

/// <summary>
/// The privacy center: a public page where people who are not signed in exercise their rights, prove by a one-time code sent to
/// their e-mail address that the address is theirs, follow the request by a signed link, and fetch the answer (Art 12, 15, 20).
/// </summary>
public static class PrivacyCenterApi
{
    public static IServiceCollection AddPrivacyCenter(this IServiceCollection services)
    {
        services.AddOptions<PrivacyCenterOptions>().BindConfiguration(PrivacyCenterOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PrivacyCenterOptions>, PrivacyCenterOptionsValidation>();
        return services;
    }

    public static IEndpointRouteBuilder MapPrivacyCenterApi(this IEndpointRouteBuilder routes) => routes;
}

/// <summary>The privacy center's settings, one line per problem naming the setting.</summary>
internal sealed class PrivacyCenterOptionsValidation(IHostEnvironment environment) : IValidateOptions<PrivacyCenterOptions>
{
    public ValidateOptionsResult Validate(string? name, PrivacyCenterOptions options)
    {
        var failures = new List<string>();
        const string section = PrivacyCenterOptions.Section;
        if (options.PublicUrl is null && !environment.IsDevelopment())
        {
            failures.Add($"{section}:PublicUrl is not configured: the links in messages to people (status page, unsubscribe) point to the " +
                         "service's public address, e.g. https://privacy.smultronsites.se.");
        }
        else if (options.PublicUrl is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
                                                    && uri.Query.Length == 0 && uri.Fragment.Length == 0))
        {
            failures.Add($"{section}:PublicUrl must be an absolute http(s) address without query, e.g. https://privacy.smultronsites.se.");
        }

        Check(options.CodeValidity >= TimeSpan.FromMinutes(1) && options.CodeValidity <= TimeSpan.FromHours(24), "CodeValidity", "1 minute to 24 hours");
        Check(options.MaxAttempts is >= 1 and <= 20, "MaxAttempts", "1–20");
        Check(options.MaxResends is >= 0 and <= 20, "MaxResends", "0–20");
        Check(options.ResendInterval >= TimeSpan.Zero && options.ResendInterval <= TimeSpan.FromHours(1), "ResendInterval", "0 to 1 hour");
        Check(options.ReminderAfter > TimeSpan.Zero && options.ReminderAfter < options.CloseUnverifiedAfter, "ReminderAfter",
            "more than zero and less than CloseUnverifiedAfter");
        Check(options.CloseUnverifiedAfter <= TimeSpan.FromDays(30), "CloseUnverifiedAfter", "at most 30 days");
        Check(options.StatusLinkValidity >= TimeSpan.FromDays(1), "StatusLinkValidity", "at least 1 day");
        Check(options.DownloadWindow >= TimeSpan.FromHours(1), "DownloadWindow", "at least 1 hour");
        Check(options.RateLimitPermits >= 1 && options.RateLimitWindow >= TimeSpan.FromSeconds(1), "RateLimitPermits",
            "at least 1, with RateLimitWindow at least 1 second");
        Check(options.EmailLimitPermits >= 1 && options.EmailLimitWindow >= TimeSpan.FromMinutes(1), "EmailLimitPermits",
            "at least 1, with EmailLimitWindow at least 1 minute");
        Check(options.SweepInterval >= TimeSpan.FromSeconds(1), "SweepInterval", "at least 1 second");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool valid, string setting, string rule)
        {
            if (!valid)
            {
                failures.Add($"{section}:{setting} must be {rule}.");
            }
        }
    }
}
