using Privacy.Api.Platform.LocalPostgres;

namespace Privacy.Reliability;

/// <summary>A fault the suite injects again and again while the load runs; returns what it did.</summary>
internal abstract class Fault(string name, string description)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

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
