using System.Globalization;

namespace Privacy.Reliability;

/// <summary>
/// The suite's options: <c>--seconds</c> of load per scenario (60), <c>--instances</c> (3), <c>--fault-every</c> seconds (8),
/// <c>--workers</c> (8), <c>--only</c> a scenario (sigkill, postgres-restart, partner-faults, key-rotation), <c>--output</c>.
/// </summary>
internal sealed record Options(int Seconds, int Instances, int FaultEvery, int Workers, string? Only, string Output)
{
    public static readonly string[] Scenarios = ["sigkill", "postgres-restart", "partner-faults", "key-rotation"];

    public static Options Parse(string[] args, string repository)
    {
        var options = new Options(60, 3, 8, 8, null, Path.Combine(repository, "artifacts", "reliability"));
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Number(int min, int max)
            {
                var name = args[i];
                var value = int.Parse(Value(), CultureInfo.InvariantCulture);
                return value >= min && value <= max ? value : throw new ArgumentException($"{name} must be {min}–{max}.");
            }

            options = args[i] switch
            {
                "--seconds" => options with { Seconds = Number(10, 3600) },
                "--instances" => options with { Instances = Number(2, 8) },
                "--fault-every" => options with { FaultEvery = Number(4, 600) },
                "--workers" => options with { Workers = Number(1, 64) },
                "--only" => options with
                {
                    Only = Value() is var only && Scenarios.Contains(only) ? only : throw new ArgumentException($"--only must be one of: {string.Join(", ", Scenarios)}."),
                },
                "--output" => options with { Output = Path.GetFullPath(Value()) },
                _ => throw new ArgumentException(
                    $"Unknown option {args[i]}. Options: --seconds N (60), --instances N (3), --fault-every N (8), --workers N (8), " +
                    $"--only {string.Join("|", Scenarios)}, --output DIR."),
            };
        }

        return options;
    }
}
