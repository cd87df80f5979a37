using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>Runs that end partial or struggle with their tools, as a user meets them with the offline model over this repository's docs.</summary>
public sealed class PartialRunTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-partial-").FullName;

    public PartialRunTests()
    {
        var docs = Path.Combine(RepositoryFolder.Root, "docs");
        Directory.CreateDirectory(Path.Combine(_work, "docs"));
        foreach (var file in Directory.GetFiles(docs, "*.md"))
        {
            File.Copy(file, Path.Combine(_work, "docs", Path.GetFileName(file)));
        }
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Run_QuietOfflineRunStoppedByItsBudget_AnswersWithoutPromptTextAndGivesTheReasonOnStandardError()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{\"Plansmith\": {\"Budget\": {\"MaxModelCalls\": 3}}}");

        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--quiet", "--no-store", "--corpus", "docs", "Compare retries and fallbacks");

        // A run stopped by its budget ends "failed" (exit 1) with the partial answer still printed.
        Assert.True(exit == 1, $"exit {exit}: {error}");
        Assert.StartsWith("# Compare retries and fallbacks", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Answer from these partial results", output, StringComparison.Ordinal);
        Assert.DoesNotContain("say plainly", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Note: the plan was stopped", output, StringComparison.Ordinal);
        Assert.Contains("incomplete", output, StringComparison.Ordinal);
        Assert.Contains("limit of 3 model calls", output, StringComparison.Ordinal);

        // Quiet keeps standard output for the answer, but the reason is never withheld.
        Assert.Contains("BudgetExhausted", error, StringComparison.Ordinal);
        Assert.Contains("the run reached its limit of 3 model calls", error, StringComparison.Ordinal);
        Assert.DoesNotContain("model calls ·", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OfflineQuestionAboutResuming_SearchesAndAnswersWithoutToolErrors()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--no-store", "--corpus", "docs", "--root", ".", "How does Plansmith resume a run after a crash?");

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.DoesNotContain("Error: Function failed", output, StringComparison.Ordinal);
        // A source's section title may name run_code ("Code sandboxes (`analyze.run_code`, …)"); the run itself must not.
        Assert.DoesNotContain("run_code", output[..output.IndexOf("## Sources", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.DoesNotContain("Error:", output, StringComparison.Ordinal);
        Assert.Contains("resume", output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("[tool search.search]", output, StringComparison.Ordinal);
        Assert.Contains("## Sources", output, StringComparison.Ordinal);
        Assert.Contains("Completed in", error, StringComparison.Ordinal);
    }

}
