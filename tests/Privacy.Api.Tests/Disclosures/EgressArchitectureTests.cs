using System.Text.RegularExpressions;

namespace Privacy.Api.Tests.Disclosures;

/// <summary>
/// The egress gate is the only way out by construction: whatever a later change adds, a message to a party is queued only by
/// the gate (which builds it from the party's release), and nothing else writes the outbox table.
/// </summary>
public sealed class EgressArchitectureTests
{
    private static string SourceRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Privacy.slnx")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("Privacy.slnx not found above the test binaries"), "src");
    }

    private static IEnumerable<(string File, string Text)> Sources() =>
        Directory.EnumerateFiles(SourceRoot(), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains("Migrations"))
            .Select(f => (Path.GetRelativePath(SourceRoot(), f), File.ReadAllText(f)));

    [Fact]
    public void OnlyTheEgressGateQueuesMessagesForParties()
    {
        var sources = Sources().ToList();
        Assert.True(sources.Count > 50, $"only {sources.Count} source files found");

        var callers = sources.Where(s => Regex.IsMatch(s.Text, @"\boutbox\.Enqueue\(|\bOutbox\b[^;\n]*\.Enqueue\(", RegexOptions.IgnoreCase))
            .Select(s => s.File).ToList();
        Assert.Equal([Path.Combine("Privacy.Api", "Disclosures", "EgressGate.cs")], callers);

        var writers = sources.Where(s => Regex.IsMatch(s.Text, @"new OutboxMessage\b(?!Response|Page)|INSERT INTO privacy\.outbox_messages", RegexOptions.IgnoreCase))
            .Select(s => s.File).ToList();
        Assert.Equal([Path.Combine("Privacy.Api", "Notifications", "OutboxMessage.cs")], writers); // Outbox.Enqueue itself
    }
}
