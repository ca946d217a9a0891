using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Retention;

/// <summary>
/// Where the retention of consent proofs' clear IP addresses and user agents stands at one moment: a SQL condition on a
/// consent event <c>e</c> that holds when the period of its proof's clear values has run out, with the values of its
/// parameters $1 and $2.
/// </summary>
/// <param name="Ended">The condition, or <c>false</c> when no rule erases them (a gap, or a trigger the store cannot apply): the sweep keeps them too.</param>
public sealed record ProofCutoff(string Ended, StoreThresholds At);

/// <summary>
/// The retention clock of consent proofs for readers other than the sweep: the same rule (consent_proof × user.device.ip_address),
/// the same thresholds and the same condition (<see cref="OwnDataStores.ConsentProofs"/>), so what the sweep would erase now is
/// never shown, whether or not the sweep has run.
/// </summary>
public sealed class ProofRetention(PrivacyDbContext db, IOptions<ConsentOptions> consentOptions)
{
    public async Task<ProofCutoff> CutoffAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var store = OwnDataStores.ConsentProofs;
        var rule = store.RuleIn(await db.Set<RetentionRule>().AsNoTracking()
            .Where(r => r.PurposeKey == store.Purpose && r.CategoryKey == store.Category).ToListAsync(cancellationToken));
        var at = StoreThresholds.At(rule is null ? IsoPeriod.Zero : IsoPeriod.Parse(rule.Period), consentOptions.Value.ValidityMonths, now);
        return new ProofCutoff(store.Applies(rule) ? OwnDataStores.ConsentProofEnded(rule!.Trigger) : "false", at);
    }
}
