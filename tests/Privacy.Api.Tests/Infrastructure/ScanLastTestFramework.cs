using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Privacy.Api.Tests.Infrastructure.ScanLastTestFramework", "Privacy.Api.Tests")]

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>
/// xunit 2's own framework, except that the test collection named <see cref="RunsLastCollection.Name"/> runs after every other
/// collection has finished (the others still run in parallel with each other): the log scan must see the logs of the
/// whole suite. xunit 2 has no "run last" of its own.
/// </summary>
public sealed class ScanLastTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink,
            ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    private sealed class Runner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink,
        IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        protected override async Task<RunSummary> RunTestCollectionsAsync(IMessageBus messageBus, CancellationTokenSource cancellationTokenSource)
        {
            // First every collection but the last one, in parallel as usual; then the last one.
            var all = TestCases.ToList();
            var last = all.Where(c => IsLast(c.TestMethod.TestClass.TestCollection)).ToList();
            TestCases = all.Except(last).ToList();
            SuiteLog.OtherTestCasesRun = all.Count - last.Count;
            var summary = await base.RunTestCollectionsAsync(messageBus, cancellationTokenSource);
            TestCases = last;
            summary.Aggregate(await base.RunTestCollectionsAsync(messageBus, cancellationTokenSource));
            TestCases = all;
            return summary;
        }

        private static bool IsLast(ITestCollection collection) => collection.DisplayName == RunsLastCollection.Name;
    }
}

/// <summary>The collection that <see cref="ScanLastTestFramework"/> runs after all others.</summary>
[CollectionDefinition(Name)]
public sealed class RunsLastCollection
{
    public const string Name = "Runs after every other test";
}
