using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Database;
using Privacy.Api.Requests;

namespace Privacy.Api.PrivacyCenter;

/// <summary>
/// What happens to a privacy-center request nobody confirmed: one reminder with a new code after
/// <see cref="PrivacyCenterOptions.ReminderAfter"/>, then, after <see cref="PrivacyCenterOptions.CloseUnverifiedAfter"/>, it closes as
/// rejected because the identity was not confirmed (Art 12(6)) and the person is told, so no request waits unconfirmed for ever.
/// Every replica may run it: each request is claimed with <c>FOR UPDATE SKIP LOCKED</c>, one transaction each.
/// </summary>
public sealed class PrivacyCenterSweep(
    IServiceScopeFactory scopes, IOptions<PrivacyCenterOptions> options, TimeProvider time, ILogger<PrivacyCenterSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.SweepEnabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // From the database; it names no one. The next round starts over.
                logger.LogError(exception, "Privacy center sweep failed; retrying in {Interval}", options.Value.SweepInterval);
            }

            await Task.Delay(options.Value.SweepInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Sends every reminder that is due and closes every request past its time; how many of each.</summary>
    public async Task<(int Reminded, int Closed)> RunOnceAsync(CancellationToken cancellationToken)
    {
        var (reminded, closed) = (0, 0);
        while (await StepAsync(cancellationToken) is { } step)
        {
            (reminded, closed) = step ? (reminded, closed + 1) : (reminded + 1, closed);
        }

        return (reminded, closed);
    }

    /// <summary>One due request handled in its own transaction: true when closed, false when reminded, null when none is due.</summary>
    private async Task<bool?> StepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var settings = options.Value;
        var now = time.GetUtcNow();
        var (closeBefore, remindBefore) = (now - settings.CloseUnverifiedAfter, now - settings.ReminderAfter);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var due = await db.Set<RequestVerification>()
            .FromSql($"""
                SELECT * FROM privacy.rights_request_verifications
                WHERE verified_at IS NULL AND closed_at IS NULL
                  AND (created_at <= {closeBefore} OR (reminded_at IS NULL AND created_at <= {remindBefore}))
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
                """)
            .SingleOrDefaultAsync(cancellationToken);
        if (due is null)
        {
            return null;
        }

        var workflow = scope.ServiceProvider.GetRequiredService<RequestWorkflow>();
        var request = await workflow.LockAsync(due.RequestId, cancellationToken);
        var close = due.CreatedAt <= closeBefore;
        if (request is null || request.Status != RequestStatus.Received)
        {
            due.ClosedAt = now; // ops rejected it meanwhile: nothing more to send
        }
        else if (close)
        {
            due.ClosedAt = now;
            var days = (int)settings.CloseUnverifiedAfter.TotalDays;
            await workflow.RejectAsync(request, RejectionGround.IdentityNotConfirmed, request.Language == "sv"
                ? $"E-postadressen bekräftades inte inom {days} dagar."
                : $"The e-mail address was not confirmed within {days} days.", Verifications.Actor, cancellationToken);
        }
        else
        {
            await scope.ServiceProvider.GetRequiredService<Verifications>().RemindAsync(request, due, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return close;
    }
}
