using System.Text.RegularExpressions;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>The README's main job with no key: the offline model's answer over this repository's docs is worth reading.</summary>
public sealed class ReadmeMainJobAnswerTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-readme-answer-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Run_ReadmeMainJobOffline_AnswersWithATableOfWholeSentencesFindingsAndSources()
    {
        var docs = Path.Combine(RepositoryFolder.Root, "docs");

        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--quiet", "--no-store", "--corpus", docs, "--root", docs, "Compare retries and fallbacks");

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Single(Regex.Matches(output, "^# ", RegexOptions.Multiline));
        Assert.Matches(Row("retries"), output);
        Assert.Matches(Row("fallbacks"), output);
        Assert.DoesNotContain("Not covered", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Summarize the findings", output, StringComparison.Ordinal);
        Assert.DoesNotContain("{\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("```", output, StringComparison.Ordinal);
        Assert.DoesNotContain("…", output, StringComparison.Ordinal);
        Assert.Contains("## Findings", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^- \w[\w-]*\.md — .+$", output);
    }

    /// <summary>A table row for the item whose cell is whole sentences that name it.</summary>
    private static Regex Row(string item) => new($@"(?im)^\| {item} \| [^|]*{item[..^2]}[^|]*[.!?][)""'*_`]* \|$");
}
