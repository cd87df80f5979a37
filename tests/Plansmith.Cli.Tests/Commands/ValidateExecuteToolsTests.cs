using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary><c>validate</c> and <c>execute</c> see the same tools and agents as <c>run</c>, and say what <c>execute</c> cannot run.</summary>
public sealed class ValidateExecuteToolsTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-validate-").FullName;

    public ValidateExecuteToolsTests()
    {
        // The plan from docs/plan-contract.md, as a user would copy it.
        var doc = File.ReadAllText(Path.Combine(RepositoryFolder.Root, "docs", "plan-contract.md"));
        var start = doc.IndexOf("```json\n", StringComparison.Ordinal) + "```json\n".Length;
        File.WriteAllText(Path.Combine(_work, "plan.json"), doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)]);
        Directory.CreateDirectory(Path.Combine(_work, "docs"));
        File.WriteAllText(Path.Combine(_work, "docs", "flask.md"), "# Flask\nFlask routes requests with decorators.");
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Validate_DocumentedPlanWithCorpusAndAgent_IsValidAndNamesWhatExecuteCannotRun()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{\"Plansmith\": {\"Agents\": {\"analyst\": {\"Instructions\": \"Compare carefully.\"}}}}");
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "validate", "plan.json", "--corpus", "docs");
        Assert.True(exit == 0, error);
        Assert.Contains("The plan is valid: 3 steps.", output, StringComparison.Ordinal);
        Assert.Contains("s2: a model step", output, StringComparison.Ordinal);
        Assert.Contains("s3: a verify step", output, StringComparison.Ordinal);
        Assert.DoesNotContain("s1:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_WithoutCorpus_SaysSearchIsMissingLikeRunWould()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{\"Plansmith\": {\"Agents\": {\"analyst\": {\"Instructions\": \"x\"}}}}");
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "validate", "plan.json");
        Assert.Equal(2, exit);
        Assert.Contains("search.search", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_UnknownAgent_IsAProblem()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "validate", "plan.json", "--corpus", "docs");
        Assert.Equal(2, exit);
        Assert.Contains("agent 'analyst'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_PlanWithModelSteps_IsRefusedBeforeAnythingRuns()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{\"Plansmith\": {\"Agents\": {\"analyst\": {\"Instructions\": \"x\"}}}}");
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "execute", "plan.json", "--corpus", "docs");
        Assert.Equal(2, exit);
        Assert.Contains("need a model", error, StringComparison.Ordinal);
        Assert.Contains("plansmith run", error, StringComparison.Ordinal);
        Assert.DoesNotContain("▶", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_ToolPlanOverTheCorpus_RunsSearchLikeRun()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "search.json"), "{\"steps\": [{\"id\": \"s1\", \"description\": \"Search\", \"tool\": \"search.search\", \"arguments\": {\"query\": \"Flask routes\"}}]}");
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "execute", "search.json", "--corpus", "docs", "--json");
        Assert.True(exit == 0, error);
        Assert.Contains("decorators", output, StringComparison.Ordinal);
        Assert.DoesNotContain("No model configured", error, StringComparison.Ordinal);
    }

}
