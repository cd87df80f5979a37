using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>
/// What a first-time user sees besides the run: no log line that repeats the progress, no note
/// about a missing model from commands that use none, what a missing tool needs, and a dead
/// model endpoint named with the fix.
/// </summary>
public sealed class QuietConsoleTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-console-").FullName;

    public QuietConsoleTests()
    {
        File.WriteAllText(Path.Combine(_work, "apples.md"), "Apples are crisp.");
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>A child environment with no user-level settings file and no retry delays.</summary>
    private Dictionary<string, string> Environment() => new()
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(_work, "no-config"),
        ["Plansmith__Execution__MaxRetries"] = "0",
        ["Plansmith__ModelResilience__MaxRetries"] = "0",
    };

    private Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) =>
        CliProcess.RunAsync(_work, null, Environment(), null, args);

    [Fact]
    public async Task Run_StepFails_ProgressShowsItAndNoWarningRepeatsIt()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Read the pear notes", tool = "files.read", arguments = new { path = "pears.md" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            _ => new ModelReply("There are no notes on pears."),
        });
        await using var server = new LoopbackOpenAIServer(model);

        var (exit, output, error) = await RunAsync("run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--root", _work, "--no-store", "--max-replans", "0", "Compare apples and pears");

        Assert.Equal(1, exit);
        Assert.Contains("✗ s1", output, StringComparison.Ordinal);
        Assert.Contains("There are no notes on pears.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("warn:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("failed after 1 attempt(s)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StepFailsVerbose_TheLogLineIsThere()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Read the pear notes", tool = "files.read", arguments = new { path = "pears.md" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            _ => new ModelReply("There are no notes on pears."),
        });
        await using var server = new LoopbackOpenAIServer(model);

        var (_, _, error) = await RunAsync("run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--root", _work, "--no-store", "--max-replans", "0", "--verbose", "Compare apples and pears");

        Assert.Contains("Step s1 failed after 1 attempt(s)", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("invoke", "analyze.run_code", "--arg", "language=javascript", "--arg", "code=console.log(6 * 7)")]
    [InlineData("invoke", "files.list")]
    [InlineData("tools")]
    public async Task CommandWithoutAModel_SaysNothingAboutAMissingModel(params string[] args)
    {
        var (exit, _, error) = await RunAsync([.. args, "--root", _work]);

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("No model configured", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_FunctionThatWrites_StillSaysTheOfflineModelIsInUse()
    {
        var (_, _, error) = await RunAsync("invoke", "synthesize.compare", "--arg", "items=apples,pears", "--arg", "criteria=taste", "--root", _work);

        Assert.Contains("No model configured", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_FinishedRun_SaysSoWithoutAModelNote()
    {
        var store = Path.Combine(_work, "runs.db");
        var (runExit, _, runError) = await RunAsync("run", "--offline", "--store", store, "--root", _work, "--json", "Compare apples and pears");
        Assert.True(runExit == 0, runError);
        var (_, list, _) = await RunAsync("runs", "--store", store);
        var id = list.Split('\n')[1].Split(' ')[0];

        var (exit, _, error) = await RunAsync("resume", id, "--store", store, "--root", _work);

        Assert.Equal(2, exit);
        Assert.Contains($"run '{id}' already completed; there is nothing to resume", error, StringComparison.Ordinal);
        Assert.DoesNotContain("No model configured", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tools_WithoutCorpus_SaysWhatSearchNeeds()
    {
        var (exit, output, _) = await RunAsync("tools", "--root", _work);

        Assert.Equal(0, exit);
        Assert.DoesNotContain("search.search — ", output, StringComparison.Ordinal);
        Assert.Contains("search.search needs --corpus DIR (a folder of documents)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tools_WithCorpus_SaysNothingAboutSearch()
    {
        var (exit, output, _) = await RunAsync("tools", "--root", _work, "--corpus", _work);

        Assert.Equal(0, exit);
        Assert.Contains("search.search — ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("search.search needs", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EndpointRefusesConnections_NamesTheAddressAndTheFix()
    {
        using var refusing = new RefusingLoopbackPort();
        var port = refusing.Port;

        var (exit, _, error) = await RunAsync("run", "--endpoint", $"http://127.0.0.1:{port}/v1", "--model", "m", "--no-store", "--root", _work, "Compare apples and pears");

        Assert.Equal(1, exit);
        Assert.Contains($"could not connect to http://127.0.0.1:{port}/v1 (connection refused): is the server running? Check --endpoint", error, StringComparison.Ordinal);
        Assert.DoesNotContain("HttpRequestException", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run", "--approve")]
    [InlineData("chat")]
    public async Task Approval_Piped_PlanIsPrintedOnceAboveTheQuestion(params string[] command)
    {
        var run = command[0] == "run";
        var stdin = run ? "y\n" : "Compare apples and pears\ny\n/exit\n";
        var (exit, output, error) = await CliProcess.RunAsync(_work, stdin, Environment(), null, [.. command, "--offline", "--no-store", "--root", _work, .. run ? new[] { "Compare apples and pears" } : []]);

        Assert.True(exit == 0, error);
        var question = output.IndexOf("Run this plan? [y]es / [n]o / [e]dit", StringComparison.Ordinal);
        Assert.True(question > 0, output);
        Assert.Equal(1, Occurrences(output[..question], "Plan: Compare apples and pears"));
        Assert.Equal(1, Occurrences(output[..question], "├─ s1  Find out about apples"));
        Assert.Contains("| apples |", output[question..], StringComparison.Ordinal);
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
