using System.Text.Json;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>The CLI as a process: offline runs over a corpus made here, a real-wire run against the loopback server, chat through stdin.</summary>
public sealed class CliEndToEndTests : IDisposable
{
    private const string Goal = "Compare Flask and FastAPI routing";
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-cli-e2e-").FullName;
    private readonly string _corpus;

    public CliEndToEndTests()
    {
        _corpus = Path.Combine(_work, "corpus");
        Directory.CreateDirectory(_corpus);
        File.WriteAllText(Path.Combine(_corpus, "flask.md"), "# Flask routing\n\nFlask binds URLs to view functions with the @app.route decorator.");
        File.WriteAllText(Path.Combine(_corpus, "fastapi.md"), "# FastAPI routing\n\nFastAPI declares path operations with @app.get and validates parameters with type hints.");
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private Task<(int Exit, string Out, string Err)> RunAsync(string? stdin, params string[] args) =>
        CliProcess.RunAsync(_work, stdin, args);

    [Fact]
    public async Task Run_Offline_PlansRunsAndAnswersWithProgress()
    {
        var (exit, output, error) = await RunAsync(null, "run", "--offline", "--corpus", _corpus, "--root", _corpus, Goal);

        Assert.True(exit == 0, error);
        Assert.Contains("├─ s1  Search for Flask routing  [tool search.search]", output, StringComparison.Ordinal);
        Assert.Contains("[4/4 100%]", output, StringComparison.Ordinal);
        Assert.Contains("| Flask | Flask binds URLs to view functions with the @app.route decorator. |", output, StringComparison.Ordinal);
        Assert.Contains("- flask.md", output, StringComparison.Ordinal);
        Assert.Contains("model: offline", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NothingConfigured_UsesTheOfflineModelAndSaysSoInOneLine()
    {
        var (exit, _, error) = await RunAsync(null, "run", "--corpus", _corpus, "--root", _corpus, Goal);

        Assert.Equal(0, exit);
        Assert.Single(error.Split('\n'), l => l.StartsWith("No model configured: using Plansmith's built-in offline model", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_Json_PrintsTheWholeRunResult()
    {
        var (exit, output, _) = await RunAsync(null, "run", "--offline", "--corpus", _corpus, "--root", _corpus, "--json", Goal);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Contains("| FastAPI |", root.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, root.GetProperty("plan").GetProperty("steps").GetArrayLength());
        Assert.All(root.GetProperty("steps").EnumerateArray(), s =>
        {
            Assert.Equal("completed", s.GetProperty("status").GetString());
            Assert.True(s.TryGetProperty("started_at", out _));
            Assert.True(s.TryGetProperty("ended_at", out _));
        });
        Assert.True(root.GetProperty("usage").GetProperty("model_calls").GetInt32() > 0);
    }

    [Fact]
    public async Task Run_Endpoint_TalksToAnOpenAICompatibleServerAndNeverPrintsTheKey()
    {
        const string key = "sk-cli-e2e-secret";
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Search", tool = "search.search", arguments = new { query = "Flask routing" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            _ => new ModelReply("Flask uses @app.route."),
        });
        await using var server = new LoopbackOpenAIServer(model);

        var (exit, output, error) = await RunAsync(null, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "llama3.1", "--api-key", key, "--corpus", _corpus, "--root", _corpus, Goal);

        Assert.True(exit == 0, error);
        Assert.Contains("Flask uses @app.route.", output, StringComparison.Ordinal);
        Assert.Contains("model: llama3.1 at " + server.BaseAddress, error, StringComparison.Ordinal);
        // The router and the planner start together (PlanWhileRouting), so either may reach the server first.
        Assert.Equal(["plan_create", "route"], model.Requests.Take(2).Select(r => r.Prompt).Order(StringComparer.Ordinal));
        Assert.Equal(["plan_reflect", "synthesize"], model.Requests.Skip(2).Select(r => r.Prompt));
        Assert.All(model.Requests, r =>
        {
            Assert.Equal("llama3.1", r.Json["model"]!.GetValue<string>());
            Assert.Equal("Bearer " + key, r.Authorization);
        });
        Assert.Equal("json_object", model.RequestsFor("plan_create")[0].ResponseFormat);
        Assert.Contains("flask.md", model.RequestsFor("synthesize")[0].User, StringComparison.Ordinal);
        Assert.DoesNotContain(key, output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_GreetingThenApprovedPlanThenSlashCommands()
    {
        var script = $"hello\n{Goal}\ny\n/history\n/mode linear\n/bogus\n/exit\n";

        var (exit, output, error) = await RunAsync(script, "chat", "--offline", "--corpus", _corpus, "--root", _corpus);

        Assert.True(exit == 0, error);
        Assert.Contains("I'm Plansmith running on its built-in offline model", output, StringComparison.Ordinal);
        Assert.Contains("Run this plan? [y]es / [n]o / [e]dit", output, StringComparison.Ordinal);
        Assert.Contains("| Flask |", output, StringComparison.Ordinal);
        Assert.Contains("you: hello", output, StringComparison.Ordinal);
        Assert.Contains("Mode: Linear (parallelism 1", output, StringComparison.Ordinal);
        Assert.Contains("Unknown command '/bogus'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_RejectedPlan_RunsNothing()
    {
        var (exit, output, _) = await RunAsync($"{Goal}\nn\n/exit\n", "chat", "--offline", "--corpus", _corpus, "--root", _corpus);

        Assert.Equal(0, exit);
        Assert.Contains("(plan rejected; nothing was run)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[1/4", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_EditedPlan_RunsWithoutTheDroppedStep()
    {
        var (exit, output, _) = await RunAsync($"{Goal}\ne\ndrop v1\nrun\n/exit\n", "chat", "--offline", "--corpus", _corpus, "--root", _corpus);

        Assert.Equal(0, exit);
        Assert.Contains("[3/3 100%]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("▶ v1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_Mermaid_PrintsTheGraphWithoutRunning()
    {
        var (exit, output, _) = await RunAsync(null, "plan", "--offline", "--corpus", _corpus, "--root", _corpus, "--format", "mermaid", Goal);

        Assert.Equal(0, exit);
        Assert.StartsWith("flowchart TD", output, StringComparison.Ordinal);
        Assert.Contains("s1 --> a1", output, StringComparison.Ordinal);
        Assert.DoesNotContain("▶", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_RunCode_PrintsTheResult()
    {
        var (exit, output, _) = await RunAsync(null, "invoke", "analyze.run_code", "--arg", "language=javascript", "--arg", "code=console.log(6 * 7)");

        Assert.Equal(0, exit);
        Assert.Contains("\"stdout\":\"42\\n\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_RunCodeThatOverflowsTheStack_ExitsNormallyWithTheCrashAsTheResult()
    {
        // In process, this aborted the CLI with exit 134 (a stack overflow cannot be caught in .NET).
        const string code = "code=let a = []; for (let i = 0; i < 300000; i++) a = [a]; JSON.stringify(a)";

        var (exit, output, error) = await RunAsync(null, "invoke", "analyze.run_code", "--arg", "language=javascript", "--arg", code);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Contains("the script crashed the JavaScript sandbox (stack overflow)", output, StringComparison.Ordinal);
        Assert.Contains("\"limitHit\":\"Recursion\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_MissingArgument_NamesIt()
    {
        var (exit, _, error) = await RunAsync(null, "invoke", "analyze.run_code", "--arg", "language=javascript");

        Assert.Equal(2, exit);
        Assert.Contains("--arg code=VALUE", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tools_ListsEveryPluginFunction()
    {
        var (exit, output, _) = await RunAsync(null, "tools", "--corpus", _corpus);

        Assert.Equal(0, exit);
        foreach (var name in new[] { "search.search", "search.fetch_url", "analyze.run_code", "analyze.analyze", "synthesize.compare", "files.read" })
        {
            Assert.Contains(name + " — ", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PromptsCheck_BrokenFolder_ExitsTwoNamingTheFile()
    {
        var prompts = Path.Combine(_work, "prompts", "route");
        Directory.CreateDirectory(prompts);
        File.WriteAllText(Path.Combine(prompts, "skprompt.txt"), "no message tags {{$request}}");

        var (exit, _, error) = await RunAsync(null, "prompts", "check", "--prompts", Path.Combine(_work, "prompts"));

        Assert.Equal(2, exit);
        Assert.Contains(Path.Combine(prompts, "skprompt.txt"), error, StringComparison.Ordinal);
        Assert.Contains("input 'tools' is never used", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptsList_ShowsWhereEachComesFrom()
    {
        var (exit, output, _) = await RunAsync(null, "prompts", "list");

        Assert.Equal(0, exit);
        Assert.Contains("plan_create", output, StringComparison.Ordinal);
        Assert.Contains("built-in", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run --no-such-flag goal", "'--no-such-flag' is not an option")]
    [InlineData("run --endpoint http://localhost:11434/v1 goal", "--endpoint needs --model")]
    [InlineData("run --model gpt-4o goal", "no API key: set OPENAI_API_KEY, or use --endpoint or --offline")]
    [InlineData("run --offline --mode sideways goal", "sideways")]
    [InlineData("run --offline --max-parallel 0 goal", "--max-parallel must be from 1")]
    [InlineData("run --offline --corpus /no/such/folder goal", "does not exist")]
    [InlineData("run --offline --trace jaeger goal", "--trace console")]
    [InlineData("run --offline --otlp ftp://x goal", "not an http(s) URL")]
    public async Task BadInput_ExitsTwoWithAHelpfulMessage(string commandLine, string expected)
    {
        var (exit, _, error) = await RunAsync(null, commandLine.Split(' '));

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CtrlC_CancelsRunningStepsAndExits130()
    {
        var stepStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var never = new CancellationTokenSource();
        var model = new ScriptedModel(async r =>
        {
            switch (r.Prompt)
            {
                case "plan_create":
                    return ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Add", tool = "files.list", arguments = new { pattern = "*.md" } }, new { id = "s2", description = "Think for a long time", dependencies = new[] { "s1" } } } });
                case "step_execute":
                    stepStarted.TrySetResult();
                    await Task.Delay(TimeSpan.FromSeconds(60), never.Token).ContinueWith(_ => { });
                    return new ModelReply("too late");
                default:
                    return ModelReply.Json(new { approved = true, plan = true, issues = Array.Empty<string>() });
            }
        });
        await using var server = new LoopbackOpenAIServer(model);

        var (exit, output, error) = await CliProcess.RunAsync(
            _work,
            null,
            async pid =>
            {
                await stepStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
                using var kill = System.Diagnostics.Process.Start("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await kill!.WaitForExitAsync();
            },
            "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--root", _corpus, Goal);
        await never.CancelAsync();

        Assert.Equal(130, exit);
        Assert.Contains("✓ s1", output, StringComparison.Ordinal);
        Assert.True(error.Contains("Cancelled", StringComparison.Ordinal), error + "\n---\n" + output);
        Assert.Empty(model.RequestsFor("synthesize"));
    }

    [Fact]
    public async Task Run_TraceConsole_PrintsTheSpansOfTheRun()
    {
        var (exit, output, error) = await RunAsync(null, "run", "--offline", "--corpus", _corpus, "--root", _corpus, "--no-store", "--trace", "console", Goal);

        // Spans go to standard error, so that standard output holds only the answer.
        Assert.Equal(0, exit);
        Assert.Contains("invoke_agent plansmith", error, StringComparison.Ordinal);
        Assert.Contains("execute_step s1", error, StringComparison.Ordinal);
        Assert.Contains("gen_ai.operation.name=execute_tool", error, StringComparison.Ordinal);
        Assert.Contains("gen_ai.usage.input_tokens", error, StringComparison.Ordinal);
        Assert.DoesNotContain("gen_ai.operation.name", output, StringComparison.Ordinal);
    }
}
