namespace Plansmith.Cli.Tests.Terminal;

/// <summary><c>plansmith run --approve</c> in a real terminal (tmux, a pty): the live view, the question, an edit, the answer.</summary>
public sealed class TerminalApprovalTests : IDisposable
{
    private const string Question = "Run this plan? [y]es / [n]o / [e]dit";
    private const string Headline = "Plan: Compare apples and pears";
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-tmux-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task RunApprove_InATerminal_AsksBelowThePlanShownOnceThenRunsTheEditedPlan()
    {
        await using var tmux = await TmuxSession.StartAsync(_work, nameof(RunApprove_InATerminal_AsksBelowThePlanShownOnceThenRunsTheEditedPlan), "run", "--approve", "--offline", "--no-store", "--root", _work, "Compare apples and pears");

        // The live view stepped aside: the question is on screen, under the plan, shown once.
        var asking = await tmux.WaitForAsync(s => s.Contains(Question, StringComparison.Ordinal), "question");
        Assert.Equal(1, Occurrences(asking, Headline));
        Assert.Contains("├─ s1  Find out about apples", asking, StringComparison.Ordinal);
        Assert.Contains("└─ s2  Find out about pears", asking, StringComparison.Ordinal);
        Assert.True(asking.IndexOf(Headline, StringComparison.Ordinal) < asking.IndexOf(Question, StringComparison.Ordinal), asking);
        Assert.DoesNotContain("Planning…", asking, StringComparison.Ordinal);

        await tmux.TypeLineAsync("e");
        await tmux.WaitForAsync(s => s.Contains("Edit: 'drop ID'", StringComparison.Ordinal), "editing");
        await tmux.TypeLineAsync("drop s2");
        await tmux.WaitForAsync(s => Occurrences(s, Headline) == 2, "dropped");
        await tmux.TypeLineAsync("describe s1 Read about apples");
        await tmux.WaitForAsync(s => s.Contains("└─ s1  Read about apples", StringComparison.Ordinal), "described");
        await tmux.TypeLineAsync("run");

        var end = await tmux.WaitForAsync(s => s.Contains("[plansmith exited", StringComparison.Ordinal), "finished", history: true);
        Assert.Contains("[plansmith exited 0]", end, StringComparison.Ordinal);

        // After 'run': the live tree of the edited plan (s2 gone, s1 described anew), then the answer, once.
        var run = end[(end.LastIndexOf("\nrun\n", StringComparison.Ordinal) + 5)..];
        Assert.Contains("✓ s1  Read about apples", run, StringComparison.Ordinal);
        Assert.Contains("✓ a1  Summarize the findings on apples and pears", run, StringComparison.Ordinal);
        Assert.DoesNotContain("s2", run, StringComparison.Ordinal);
        Assert.DoesNotContain("Find out about", run, StringComparison.Ordinal);
        Assert.Contains("3/3 (100%)", run, StringComparison.Ordinal);
        Assert.Equal(1, Occurrences(run, "# Compare apples and pears"));
        Assert.Contains("| apples |", run, StringComparison.Ordinal);
        Assert.True(run.IndexOf("3/3 (100%)", StringComparison.Ordinal) < run.IndexOf("# Compare apples and pears", StringComparison.Ordinal), run);
        Assert.Contains("Completed in ", run, StringComparison.Ordinal);
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
