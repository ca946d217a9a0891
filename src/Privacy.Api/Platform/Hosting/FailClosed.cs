using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Platform.Hosting;

/// <summary>
/// Fail closed: only Development gets the development API keys, the development data key and a private local PostgreSQL. Every other
/// environment (Production, Staging, a typo) must configure the real settings, or the service does not start: the host's start-up
/// validation reports one line per missing or invalid setting, and <see cref="StartupFailure"/> prints them and exits 1.
/// </summary>
public static class FailClosed
{
    public static IServiceCollection AddFailClosedSettings(this IServiceCollection services)
    {
        services.AddOptions<DeploymentSettings>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeploymentSettings>, DeploymentSettingsValidation>();
        return services;
    }
}

/// <summary>The settings a deployment outside Development must give (nothing is bound: they are read where they live).</summary>
public sealed class DeploymentSettings;

internal sealed class DeploymentSettingsValidation(IConfiguration configuration, IHostEnvironment environment) : IValidateOptions<DeploymentSettings>
{
    public ValidateOptionsResult Validate(string? name, DeploymentSettings options)
    {
        if (environment.IsDevelopment())
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString(DatabaseSetup.ConnectionStringName)))
        {
            failures.Add($"ConnectionStrings:{DatabaseSetup.ConnectionStringName} is not configured (environment variable " +
                         $"ConnectionStrings__{DatabaseSetup.ConnectionStringName}): outside Development the service starts no database of its own.");
        }

        var keys = configuration.GetSection(ApiKeyOptions.Section).Get<ApiKeyOptions>()?.Keys ?? [];
        if (!keys.Any(k => k.Role == Roles.Ops))
        {
            failures.Add($"{ApiKeyOptions.Section}:Keys has no ops key (ApiKeys__Keys__0__Id, __Role=ops, __Hash from `hash-key`): outside " +
                         "Development no development key is accepted, and without an ops key nobody can run the service.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Turns a start-up refused for its settings into one line per setting on standard error, without a stack trace.</summary>
public static class StartupFailure
{
    /// <summary>The lines for <paramref name="exception"/> when it is a refusal of settings, or null when it is something else.</summary>
    public static IReadOnlyList<string>? Lines(Exception exception) => exception switch
    {
        OptionsValidationException e => [.. e.Failures],
        AggregateException { InnerExceptions: var inner } when inner.All(i => i is OptionsValidationException) =>
            [.. inner.Cast<OptionsValidationException>().SelectMany(e => e.Failures)],
        _ => null,
    };
}
