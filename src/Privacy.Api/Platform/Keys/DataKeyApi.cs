using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Platform.Keys;

/// <summary>The data keys: the keyring, its start-up checks and what each key protects (for rotation and retirement).</summary>
public static class DataKeyApi
{
    /// <summary>Registered after the database, so the check of stored key ids runs once the migrations are applied.</summary>
    public static IServiceCollection AddDataKeys(this IServiceCollection services)
    {
        services.AddOptions<DataKeyOptions>().BindConfiguration(DataKeyOptions.Section)
            .Validate(o => o.RekeyInterval >= TimeSpan.FromSeconds(1), "DataKeys:RekeyInterval must be at least 1 second.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DataKeyOptions>, DataKeyOptionsValidation>();
        services.AddSingleton<DataKeyring>();
        services.AddSingleton<SignedLinks>();
        services.AddSingleton<DataKeyUsage>();
        services.AddHostedService<DataKeyUsageCheck>();
        return services;
    }

    public static IEndpointRouteBuilder MapDataKeyApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/operations/data-keys", List)
            .WithName("ListDataKeys")
            .WithTags("Operations")
            .WithSummary("The data keys per use: which is current, and how many stored values each protects (never the keys)")
            .WithDescription("A key that protects nothing (`retirable`) may be removed from the configuration; the service refuses to start " +
                             "while a stored value refers to a key it does not have. Webhook secrets move to the current key by themselves " +
                             "(`DataKeys:RekeyInterval`); hashes stay under the key they were made with until retention removes them.")
            .Produces<DataKeysResponse>()
            .RequireAuthorization(Policies.Ops);
        return routes;
    }

    private static async Task<Ok<DataKeysResponse>> List(DataKeyring keyring, DataKeyUsage usage, CancellationToken cancellationToken)
    {
        var uses = new List<DataKeyUseResponse>();
        foreach (var use in Enum.GetValues<DataKeyUse>())
        {
            var references = (await usage.ReferencesAsync(use, cancellationToken)).ToDictionary(r => r.KeyId, r => r.Values, StringComparer.Ordinal);
            var current = keyring.Current(use).Id;
            var keys = keyring.Active(use).Select(k => new DataKeyResponse(k.Id, k.Id == current, true, references.GetValueOrDefault(k.Id),
                    k.Id != current && references.GetValueOrDefault(k.Id) == 0))
                .Concat(references.Where(r => keyring.Find(use, r.Key) is null).Select(r => new DataKeyResponse(r.Key, false, false, r.Value, false)))
                .ToList();
            uses.Add(new DataKeyUseResponse(use, current, keys));
        }

        return TypedResults.Ok(new DataKeysResponse(uses));
    }
}

/// <summary>The data keys of every use.</summary>
public sealed record DataKeysResponse(IReadOnlyList<DataKeyUseResponse> Uses);

/// <summary>One use's keys.</summary>
public sealed record DataKeyUseResponse(DataKeyUse Use, string Current, IReadOnlyList<DataKeyResponse> Keys);

/// <summary>
/// One key id: whether it is current and configured, how many stored values it protects, and whether it may be retired (not current,
/// protecting nothing).
/// </summary>
public sealed record DataKeyResponse(string Id, bool Current, bool Configured, long Protects, bool Retirable);
