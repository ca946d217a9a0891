using Privacy.Api.Platform.LocalPostgres;

namespace Privacy.Reliability;

/// <summary>A fault the suite injects again and again while the load runs; returns what it did.</summary>
internal abstract class Fault(string name, string description)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    public abstract Task<string> InjectAsync(Fleet fleet, int index, CancellationToken cancellationToken);
}

/// <summary>One service instance killed with SIGKILL in the middle of its work, and a new one started.</summary>
internal sealed class KillAnInstance() : Fault("sigkill", "an instance killed with SIGKILL and replaced")
{
    public override async Task<string> InjectAsync(Fleet fleet, int index, CancellationToken cancellationToken)
    {
        await fleet.KillOneAndReplaceAsync(cancellationToken);
        return "killed an instance with SIGKILL and started another";
    }
}

/// <summary>PostgreSQL stopped under load, fast and immediate shutdowns in turn, left down a while, and started again.</summary>
internal sealed class RestartPostgres(LocalPostgresCluster cluster, TimeSpan downtime)
    : Fault("postgres-restart", $"PostgreSQL stopped (fast, then immediate, in turn), down {downtime.TotalSeconds:0} s, started again")
{
    public override async Task<string> InjectAsync(Fleet fleet, int index, CancellationToken cancellationToken)
    {
        var immediate = index % 2 == 1;
        await Task.Run(() => cluster.Restart(immediate, downtime), cancellationToken);
        return $"PostgreSQL {(immediate ? "immediate" : "fast")} shutdown, down {downtime.TotalSeconds:0} s, started again";
    }
}
