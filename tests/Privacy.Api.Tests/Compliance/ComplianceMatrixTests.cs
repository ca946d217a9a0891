using System.Reflection;
using System.Text.RegularExpressions;

namespace Privacy.Api.Tests.Compliance;

/// <summary><c>docs/compliance.md</c> stays true: every test it names exists in this suite (as a test method or a test class).</summary>
public sealed partial class ComplianceMatrixTests
{
    [Fact]
    public void EveryTestTheComplianceMatrixNamesExists()
    {
        var matrix = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "compliance.md"));
        var methods = typeof(ComplianceMatrixTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttributes().Any(a => a is FactAttribute))
            .ToList();
        // A test is named by its method, its class, or both (ClassName.MethodName: that method of that class).
        var tests = methods.Select(m => m.Name)
            .Concat(methods.Select(m => $"{m.DeclaringType!.Name}.{m.Name}"))
            .Concat(typeof(ComplianceMatrixTests).Assembly.GetTypes().Where(t => t.Name.EndsWith("Tests", StringComparison.Ordinal)).Select(t => t.Name))
            .ToHashSet(StringComparer.Ordinal);
        // The test column is the last cell of a table row; the abuse table's is its second.
        var named = matrix.Split('\n').Where(l => l.StartsWith('|') && !l.StartsWith("|---", StringComparison.Ordinal))
            .Select(l => l.Trim().TrimEnd('|').Split('|').Last())
            .SelectMany(cell => TestName().Matches(cell).Select(m => m.Groups[1].Value))
            .Distinct().ToList();

        Assert.True(named.Count > 50, $"Only {named.Count} test names found: is the matrix still a table?");
        Assert.DoesNotContain(named, n => !tests.Contains(n));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Privacy.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Privacy.slnx not found above the test output.");
    }

    /// <summary>
    /// A backticked name of a test: PascalCase words only, long enough not to be a type or a setting, optionally after its class
    /// (<c>ClassName.MethodName</c>).
    /// </summary>
    [GeneratedRegex(@"`((?:[A-Z][A-Za-z0-9]+\.)?[A-Z][A-Za-z0-9]{15,})`")]
    private static partial Regex TestName();
}
