using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Notifications;

/// <summary>
/// After a rotation of the secret-encryption key, re-encrypts every webhook secret still under an older key, at start-up and then every
/// <see cref="DataKeyOptions.RekeyInterval"/>. Each row changes only if it is still under the key it was read with, so replicas running
/// it at once do each row once; the secret itself (what receivers verify signatures with) does not change.
/// </summary>
public sealed partial class WebhookSecretRekeying(
    WebhookSecrets secrets,
    IServiceScopeFactory scopes,
    IOptions<DataKeyOptions> options,
    TimeProvider time,
    ILogger<WebhookSecretRekeying> logger) : BackgroundService
{
    /// <summary>Re-encrypts the secrets under older keys, with its audit entry in the same transaction; returns how many this call moved.</summary>
    public async Task<int> RekeyAsync(CancellationToken cancellationToken)
    {
        var current = secrets.CurrentKeyId;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var stale = await db.Set<WebhookSecret>().AsNoTracking().Where(s => s.KeyId != current).OrderBy(s => s.Id)
            .Select(s => new { s.Id, s.Protected, s.KeyId }).ToListAsync(cancellationToken);
        if (stale.Count == 0)
        {
            return 0;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var moved = 0;
        foreach (var secret in stale)
        {
            var reencrypted = secrets.Reencrypt(secret.Protected, secret.KeyId);
            moved += await db.Set<WebhookSecret>().Where(s => s.Id == secret.Id && s.KeyId == secret.KeyId)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Protected, reencrypted).SetProperty(s => s.KeyId, current), cancellationToken);
        }

        if (moved > 0)
        {
            scope.ServiceProvider.GetRequiredService<AuditTrail>().Record("data_key.secrets_reencrypted", "data_key", nameof(DataKeyUse.SecretEncryption),
                new { from = stale.Select(s => s.KeyId).Distinct().Order(StringComparer.Ordinal).ToArray(), to = current, secrets = moved },
                Actor.Service);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (moved > 0)
        {
            LogRekeyed(logger, moved, current);
        }

        return moved;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RekeyAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or DbUpdateException && !stoppingToken.IsCancellationRequested)
            {
                LogRekeyFailed(logger, e.GetType().Name);
            }

            try
            {
                await Task.Delay(options.Value.RekeyInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Re-encrypted {Count} webhook secrets under data key {KeyId}")]
    private static partial void LogRekeyed(ILogger logger, int count, string keyId);

    [LoggerMessage(LogLevel.Warning, "Re-encrypting webhook secrets failed ({ErrorType}); trying again at the next interval")]
    private static partial void LogRekeyFailed(ILogger logger, string errorType);
}
