using System.Text.RegularExpressions;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Offline;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Plugins.Hosting;
using Plansmith.Testing;

namespace Plansmith.Plugins.Tests.Offline;

/// <summary>The offline model's answers read as prose: whole sentences, no Markdown debris, every item accounted for, sources named.</summary>
public sealed partial class OfflineAnswerTests : IDisposable
{
    private readonly string _corpus = Directory.CreateTempSubdirectory("plansmith-offline-answer-").FullName;
    private readonly string _index = Directory.CreateTempSubdirectory("plansmith-offline-answer-index-").FullName;
    private readonly PromptLibrary _prompts = new();

    public OfflineAnswerTests()
    {
        File.WriteAllText(Path.Combine(_corpus, "retries.md"), """
            # Retries

            A retry runs a failed step again after a short wait. Retries use exponential backoff with jitter, so that many clients do not retry at once.

            | setting | default |
            | --- | --- |
            | MaxRetries | 3 |

            ```csharp
            options.MaxRetries = 3; // retries
            ```

            - Retries apply only to transient faults such as timeouts and 503 responses.
            - A fault in the plan itself is never retried.
            """);
        File.WriteAllText(Path.Combine(_corpus, "fallbacks.md"), """
            # Fallbacks

            A fallback is the step's second way of getting its result, and it runs once when the retries are spent. When the fallback fails too, the step fails and its dependents are skipped.

            ```
            fallback → retry → timeout
            ```

            Fallbacks are declared per step in the plan with the `fallback` field.
            """);
    }

    public void Dispose()
    {
        _prompts.Dispose();
        Directory.Delete(_corpus, recursive: true);
        Directory.Delete(_index, recursive: true);
    }

    private PlanningAgent Agent(string corpus)
    {
        var kernel = Kernel.CreateBuilder().AddPlansmithOfflineModel().Build();
        kernel.Plugins.AddPlansmithPlugins(new PlansmithPluginsOptions { CorpusDirectory = corpus, IndexDirectory = _index, EnableFetch = false }, _prompts);
        return new PlanningAgent(kernel, new PlansmithOptions(), _prompts);
    }

    [Fact]
    public async Task Run_CompareOverBuiltCorpus_TableOfWholeSentencesPerItemWithSources()
    {
        using var agent = Agent(_corpus);

        var result = await agent.RunAsync("Compare retries and fallbacks");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        AssertReadable(result.Answer);
        Assert.Contains("| retries | ", result.Answer, StringComparison.Ordinal);
        Assert.Contains("| fallbacks | ", result.Answer, StringComparison.Ordinal);
        Assert.Contains("A fallback is the step's second way of getting its result", result.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("Not covered", result.Answer, StringComparison.Ordinal);
        Assert.Contains("- retries.md — Retries", result.Answer, StringComparison.Ordinal);
        Assert.Contains("- fallbacks.md — Fallbacks", result.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CompareWithAnItemTheCorpusLacks_SaysItIsNotCoveredOnce()
    {
        using var agent = Agent(_corpus);

        var result = await agent.RunAsync("Compare retries, fallbacks and bulkheads");

        AssertReadable(result.Answer);
        Assert.Single(Regex.Matches(result.Answer, "Not covered by the results"));
        Assert.Contains("| bulkheads | Not covered by the results. |", result.Answer, StringComparison.Ordinal);
        Assert.Contains("| retries | ", result.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Question_AnswersWithAParagraphOfSentencesAndSources()
    {
        using var agent = Agent(_corpus);

        var result = await agent.RunAsync("When does a fallback run?");

        AssertReadable(result.Answer);
        Assert.DoesNotContain("| Item |", result.Answer, StringComparison.Ordinal);
        Assert.Contains("it runs once when the retries are spent.", result.Answer, StringComparison.Ordinal);
        Assert.Contains("## Sources", result.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CompareOverRepositoryDocs_ReadableAnswerCoveringBothItems()
    {
        using var agent = Agent(Path.Combine(RepositoryFolder.Root, "docs"));

        var result = await agent.RunAsync("Compare retries and fallbacks");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        AssertReadable(result.Answer);
        Assert.Matches(@"(?i)\| retries \| [^|]*retr", result.Answer);
        Assert.Matches(@"(?i)\| fallbacks \| [^|]*fallback", result.Answer);
        Assert.Contains(".md — ", result.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CompareGoal_VerificationSaysWhatItChecked()
    {
        using var agent = Agent(_corpus);

        var result = await agent.RunAsync("Compare retries and fallbacks");

        Assert.Contains("Checked that the earlier results mention each item: retries, fallbacks mentioned", result["v1"].Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// One answer, of whole sentences: no nested step answer or raw JSON, no fence or table debris in
    /// prose, every table cell, finding and paragraph ending a sentence, and sources named.
    /// </summary>
    private static void AssertReadable(string answer)
    {
        Assert.Single(Regex.Matches(answer, "^# ", RegexOptions.Multiline));
        Assert.DoesNotContain("Summarize the findings", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("{\"", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("```", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("…", answer, StringComparison.Ordinal);
        Assert.Contains("## Sources", answer, StringComparison.Ordinal);
        var body = answer[..answer.IndexOf("## Sources", StringComparison.Ordinal)];
        foreach (var line in body.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            if (line.StartsWith('#') || line.StartsWith("*Arranged", StringComparison.Ordinal) || line.StartsWith("| Item | What the results say", StringComparison.Ordinal) || line is "|---|---|" || BoldLabel().IsMatch(line))
            {
                continue;
            }

            if (line.StartsWith('|'))
            {
                var cells = line.Trim('|').Split(" | ");
                Assert.True(cells.Length == 2, $"table row with {cells.Length} cells: {line}");
                Assert.Matches(SentenceEnd(), cells[1].Trim());
                continue;
            }

            Assert.DoesNotContain(" | ", line, StringComparison.Ordinal);
            Assert.Matches(SentenceEnd(), line);
        }
    }

    [GeneratedRegex(@"[.!?][)""'*_`]*$")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^\*\*[^*]+\*\*$")]
    private static partial Regex BoldLabel();
}
