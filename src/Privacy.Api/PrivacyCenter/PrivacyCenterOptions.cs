namespace Privacy.Api.PrivacyCenter;

/// <summary>
/// Settings of the privacy center (<c>/privacy-center</c>), where people who are not signed in exercise their rights, and of the links
/// the service sends people (status pages, newsletter unsubscribe).
/// </summary>
public sealed class PrivacyCenterOptions
{
    public const string Section = "PrivacyCenter";

    /// <summary>The development address the links point to when <see cref="PublicUrl"/> is not set (Development only).</summary>
    public const string DevelopmentPublicUrl = "http://localhost:5080";

    /// <summary>
    /// The service's address as people reach it (e.g. <c>https://privacy.smultronsites.se</c>): links in messages (status page,
    /// unsubscribe) point there. Required outside Development; in Development <see cref="DevelopmentPublicUrl"/>.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>How long a one-time code is valid (default 15 minutes).</summary>
    public TimeSpan CodeValidity { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Wrong codes before the request is locked (default 5).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>New codes a person may ask for on one request (default 3), each at least <see cref="ResendInterval"/> after the last.</summary>
    public int MaxResends { get; set; } = 3;

    /// <summary>The least time between two codes for one request (default 1 minute).</summary>
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An unverified request gets one reminder, with a new code, this long after it was made (default 24 hours).</summary>
    public TimeSpan ReminderAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>An unverified request closes as unverified this long after it was made, and the person is told (default 7 days).</summary>
    public TimeSpan CloseUnverifiedAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a status link in a message opens the status page (default 120 days: past the longest extended deadline).</summary>
    public TimeSpan StatusLinkValidity { get; set; } = TimeSpan.FromDays(120);

    /// <summary>How long after completion the access report and the portability export can be downloaded (default 30 days).</summary>
    public TimeSpan DownloadWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Requests and code entries one client address may make per <see cref="RateLimitWindow"/> (default 20).</summary>
    public int RateLimitPermits { get; set; } = 20;

    /// <summary>The per-address rate limit's window (default 10 minutes).</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Requests that may be made for one e-mail address per <see cref="EmailLimitWindow"/> (default 5), from any address.</summary>
    public int EmailLimitPermits { get; set; } = 5;

    /// <summary>The per-e-mail limit's window (default 24 hours).</summary>
    public TimeSpan EmailLimitWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Send the reminders and close unconfirmed requests in this replica (default true; several replicas are safe).</summary>
    public bool SweepEnabled { get; set; } = true;

    /// <summary>How often each replica sends the reminders and closes the unverified requests that are due (default 1 minute).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Serve the development mailbox page (default: in Development only), listing what the e-mail system was sent.</summary>
    public bool? DevelopmentMailbox { get; set; }

    /// <summary>The public address links point to: the configured one, or in Development the development address.</summary>
    public string EffectivePublicUrl => (PublicUrl ?? DevelopmentPublicUrl).TrimEnd('/');
}

/// <summary>The privacy center's settings, one line per problem naming the setting.</summary>
internal sealed class PrivacyCenterOptionsValidation(IHostEnvironment environment) : Microsoft.Extensions.Options.IValidateOptions<PrivacyCenterOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, PrivacyCenterOptions options)
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
        else if (options.PublicUrl is { } address && !environment.IsDevelopment() && !address.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            // The links carry status tokens and unsubscribe links (RFC 8058 requires https for one-click): never in clear text.
            failures.Add($"{section}:PublicUrl must be an https address outside Development: the links in messages carry tokens.");
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
        return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);

        void Check(bool valid, string setting, string rule)
        {
            if (!valid)
            {
                failures.Add($"{section}:{setting} must be {rule}.");
            }
        }
    }
}
