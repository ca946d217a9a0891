using Privacy.Api.Platform.LocalPostgres;

namespace Privacy.Reliability;

/// <summary>A fault the suite injects again and again while the load runs; returns what it did.</summary>
internal abstract class Fault(string name, string description)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    /// <summary>Whether the load goes on past <c>--seconds</c> until an injection begun by then has ended (by default it stops then).</summary>
    public virtual bool EndsUnderLoad => false;

    /// <summary>Settings the fleet starts with in this scenario, besides the load's own.</summary>
    public virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    /// <param name="load">Cancelled when the load stops: a fault that only matters under load ends then.</param>
    public abstract Task<string> InjectAsync(Fleet fleet, Partners partners, int index, CancellationToken load, CancellationToken cancellationToken);
}

/// <summary>One service instance killed with SIGKILL in the middle of its work, and a new one started.</summary>
internal sealed class KillAnInstance() : Fault("sigkill", "an instance killed with SIGKILL and replaced")
{
    public override async Task<string> InjectAsync(Fleet fleet, Partners partners, int index, CancellationToken load, CancellationToken cancellationToken)
    {
        await fleet.KillOneAndReplaceAsync(cancellationToken);
        return "killed an instance with SIGKILL and started another";
    }
}

/// <summary>PostgreSQL stopped under load, fast and immediate shutdowns in turn, left down a while, and started again.</summary>
internal sealed class RestartPostgres(LocalPostgresCluster cluster, TimeSpan downtime)
    : Fault("postgres-restart", $"PostgreSQL stopped (fast, then immediate, in turn), down {downtime.TotalSeconds:0} s, started again")
{
    public override async Task<string> InjectAsync(Fleet fleet, Partners partners, int index, CancellationToken load, CancellationToken cancellationToken)
    {
        var immediate = index % 2 == 1;
        await Task.Run(() => cluster.Restart(immediate, downtime), cancellationToken);
        return $"PostgreSQL {(immediate ? "immediate" : "fast")} shutdown, down {downtime.TotalSeconds:0} s, started again";
    }
}

/// <summary>
/// Every data key rotated as the runbook says (deploy/README.md, "Rotating a data key"), every use at once: a new key per use (id
/// <c>r1</c>, <c>r2</c>, …, 32 random bytes each) added to the settings, not current, and rolled out instance by instance; then made
/// current and rolled out again. The older keys stay configured, so what they protected still verifies, matches and decrypts; the
/// webhook secrets are re-encrypted under the new key within <c>DataKeys:RekeyInterval</c> (2 s here). The load goes on until a
/// rotation begun has ended, so every rotation happens under load and the run ends with every instance on one current key.
/// </summary>
internal sealed class RotateDataKeys() : Fault("key-rotation",
    "every data key rotated: a new key per use rolled out to every instance one at a time, then made current and rolled out again")
{
    public static readonly string[] Uses = ["ProofHashing", "IdentityNumberHashing", "SecretEncryption"];

    public override bool EndsUnderLoad => true;

    public override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["DataKeys__RekeyInterval"] = "00:00:02",
    };

    public override async Task<string> InjectAsync(Fleet fleet, Partners partners, int index, CancellationToken load, CancellationToken cancellationToken)
    {
        var id = $"r{index + 1}";
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // A key of its own for every use: the service refuses one key in two uses.
        fleet.Configure(Uses.Select(use => KeyValuePair.Create($"DataKeys__{use}__Keys__{id}",
            Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)))));
        var (added, killedAdding) = await fleet.RollAsync(cancellationToken);
        var addedIn = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        fleet.Configure(Uses.Select(use => KeyValuePair.Create($"DataKeys__{use}__Current", id)));
        var (madeCurrent, killedCurrent) = await fleet.RollAsync(cancellationToken);
        var total = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var killed = killedAdding + killedCurrent;
        return $"{id} added to {added} instances one at a time ({addedIn.TotalSeconds:0} s), then current on {madeCurrent} " +
               $"({(total - addedIn).TotalSeconds:0} s), under load" + (killed > 0 ? $"; {killed} old instances killed after 30 s without exiting" : "");
    }
}

/// <summary>
/// The card partner's endpoint goes down, then slow, then failing with 500, then throttling with 429 and Retry-After, a few
/// seconds each; the invoicing partner stays healthy. Its deliveries during each fault are counted: they must go on.
/// </summary>
internal sealed class PartnerFaults(TimeSpan duration)
    : Fault("partner-faults", $"the card partner down, slow, answering 500, answering 429 with Retry-After, {duration.TotalSeconds:0} s each")
{
    private static readonly PartnerBehaviour[] Faults = [PartnerBehaviour.Down, PartnerBehaviour.Slow, PartnerBehaviour.Failing, PartnerBehaviour.Throttling];

    public override async Task<string> InjectAsync(Fleet fleet, Partners partners, int index, CancellationToken load, CancellationToken cancellationToken)
    {
        var accepted = new List<string>();
        try
        {
            // Counted only while the load runs: after it stops the healthy partner has nothing new to accept.
            foreach (var fault in Faults.TakeWhile(_ => !load.IsCancellationRequested))
            {
                var from = System.Diagnostics.Stopwatch.GetTimestamp();
                partners.Card.Behaviour = fault;
                await Task.Delay(duration, load);
                var healthy = partners.Invoicing.AcceptedBetween(from, System.Diagnostics.Stopwatch.GetTimestamp());
                partners.DeliveredDuringFaults.Add(healthy);
                accepted.Add($"{fault.ToString().ToLowerInvariant()} {healthy}");
            }
        }
        catch (OperationCanceledException) when (load.IsCancellationRequested)
        {
        }
        finally
        {
            partners.Card.Behaviour = PartnerBehaviour.Healthy;
        }

        return $"card partner faulty for {duration.TotalSeconds * Faults.Length:0} s; the invoicing partner accepted meanwhile: {string.Join(", ", accepted)}";
    }
}

/// <summary>The two partners' endpoints, and what the healthy one accepted while the other was faulty.</summary>
internal sealed class Partners(DeliveryLog card, DeliveryLog invoicing)
{
    public DeliveryLog Card { get; } = card;

    public DeliveryLog Invoicing { get; } = invoicing;

    public System.Collections.Concurrent.ConcurrentBag<int> DeliveredDuringFaults { get; } = [];
}
