using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// Frontend traffic for a minute (<c>--mixed-duration</c>): 90% consent state reads, 10% new decisions. With
/// <c>--replicas N</c> above one it drives N instances on the same database behind a local nginx for that long, against
/// one instance alone for <c>--duration</c>; any error in either fails the row.
/// </summary>
internal sealed class MixedScenario : IScenario
{
    private const string Load = "90% GET state / 10% POST decision";

    public string Name => "mixed-frontend";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        if (context.Options.Replicas > 1)
        {
            return [await BehindProxyAsync(context, cancellationToken)];
        }

        var mixed = await context.LoadServiceAsync(Load, "mixed.lua", context.Options.MixedDuration,
            context.Options.Connections, cancellationToken: cancellationToken);
        return [new ResultRow(Name, mixed, null, null, "errors = 0", mixed.Errors == 0)];
    }

    private async Task<ResultRow> BehindProxyAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var single = await context.LoadServiceAsync($"{Load}, 1 instance", "mixed.lua", context.Options.Duration,
            context.Options.Connections, cancellationToken: cancellationToken);

        // The harness's instance is the first replica; the others share its database (each runs its own relay and sweeps,
        // as instances in production do).
        var instances = new List<ServiceUnderTest> { context.Service };
        try
        {
            Console.Error.WriteLine($"  starting {context.Options.Replicas - 1} more instances and nginx in front of all {context.Options.Replicas}…");
            for (var i = 1; i < context.Options.Replicas; i++)
            {
                instances.Add(await context.StartServiceAsync(context.Database.ConnectionString, null, cancellationToken));
            }

            await using var nginx = await Nginx.StartAsync([.. instances.Select(s => s.BaseUrl)],
                Path.Combine(context.Options.Output, "nginx"), cancellationToken);
            var replicated = await context.Behind(nginx.BaseUrl, instances).LoadServiceAsync(
                $"{Load}, {instances.Count} instances behind nginx", "mixed.lua", context.Options.MixedDuration,
                context.Options.Connections, cancellationToken: cancellationToken);
            return new ResultRow(Name, replicated, single, replicated.RequestsPerSecond / single.RequestsPerSecond,
                $"errors = 0 over {context.Options.MixedDuration.TotalSeconds:N0} s", replicated.Errors == 0 && single.Errors == 0);
        }
        finally
        {
            foreach (var instance in instances.Skip(1))
            {
                await instance.DisposeAsync();
            }
        }
    }
}
