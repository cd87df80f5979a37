using System.Text.Json;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary><c>plansmith eval</c>: a suite of goals run offline, checked case by case, with exit codes a script can use.</summary>
public sealed class EvalCommandTests : IDisposable
{
    private const string CompareCase = """
        { "name": "compare", "goal": "Compare Flask and FastAPI routing", "corpus": "corpus", "mode": "dag",
          "expect": { "status": "completed", "planValidFirstAttempt": true, "steps": { "min": 4, "max": 4 }, "usesTools": ["search.search"],
                      "avoidsTools": ["files.write"], "hasVerifyStep": true, "verificationPassed": true, "answerMentions": ["Flask", "FastAPI"], "answerMatches": "@app\\.route" } }
        """;

    private const string GreetingCase = """{ "name": "greeting", "goal": "hello", "expect": { "status": "answered", "steps": { "max": 0 }, "maxModelCalls": 2 } }""";

    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-eval-").FullName;

    public EvalCommandTests()
    {
        var corpus = Path.Combine(_work, "corpus");
        Directory.CreateDirectory(corpus);
        File.WriteAllText(Path.Combine(corpus, "flask.md"), "# Flask routing\n\nFlask binds URLs to view functions with the @app.route decorator.");
        File.WriteAllText(Path.Combine(corpus, "fastapi.md"), "# FastAPI routing\n\nFastAPI declares path operations with @app.get and validates parameters with type hints.");
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string Suite(params string[] cases)
    {
        var path = Path.Combine(_work, "suite.json");
        File.WriteAllText(path, $$"""{ "description": "tiny", "cases": [{{string.Join(",", cases)}}] }""");
        return path;
    }

    [Fact]
    public async Task Eval_OfflineTinySuite_PrintsTableAndTotalsAndExits0()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "eval", Suite(CompareCase, GreetingCase), "--offline");

        Assert.True(exit == 0, output + error);
        Assert.Matches(@"compare\s+pass\s+completed\s+4\s+1\s+0\s+\d+", output);
        Assert.Matches(@"greeting\s+pass\s+answered\s+0\s+0\s+0\s+2\s", output);
        Assert.Contains("Totals: 2/2 passed (100%) · plan attempts 1 · replans 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_BrokenPlanCreate_FailsTheCaseWithAClearReasonAndExits1()
    {
        var prompts = Path.Combine(_work, "prompts");
        foreach (var folder in Directory.EnumerateDirectories(Path.Combine(RepositoryFolder.Root, "prompts")))
        {
            var target = Directory.CreateDirectory(Path.Combine(prompts, Path.GetFileName(folder))).FullName;
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        // The offline model answers by prompt name, not wording, so the break must stop the call itself:
        // a template that calls a function the kernel does not have fails when rendered, and no plan comes back.
        var template = Path.Combine(prompts, "plan_create", "skprompt.txt");
        File.WriteAllText(template, File.ReadAllText(template).Replace("Goal: {{$goal}}", "Goal: {{$goal}} {{planner.missing}}", StringComparison.Ordinal));

        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "eval", Suite(CompareCase, GreetingCase), "--offline", "--prompts", prompts);

        Assert.True(exit == 1, output + error);
        Assert.Matches(@"compare\s+FAIL\s+failed\s+0\s+0", output);
        Assert.Matches(@"greeting\s+pass", output);
        Assert.Contains("compare failed:", output, StringComparison.Ordinal);
        Assert.Contains("- no plan was made (A model call failed while planning: The model call for 'plan_create' failed", output, StringComparison.Ordinal);
        Assert.Contains("- status is failed, expected completed", output, StringComparison.Ordinal);
        Assert.Contains("Totals: 1/2 passed (50%)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_Json_ParsesWithEveryCaseAndTotals()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "eval", Suite(CompareCase, GreetingCase), "--offline", "--json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        var cases = root.GetProperty("cases");
        Assert.Equal(2, cases.GetArrayLength());
        Assert.True(cases[0].GetProperty("passed").GetBoolean());
        Assert.Equal("completed", cases[0].GetProperty("status").GetString());
        Assert.Equal(4, cases[0].GetProperty("steps").GetInt32());
        Assert.Equal(0, cases[0].GetProperty("failures").GetArrayLength());
        Assert.Equal("answered", cases[1].GetProperty("status").GetString());
        var totals = root.GetProperty("totals");
        Assert.Equal(1.0, totals.GetProperty("passRate").GetDouble());
        Assert.Equal(1, totals.GetProperty("planAttempts").GetInt32());
        Assert.True(totals.GetProperty("tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task Eval_MinPassMetByAFailingSuite_Exits0ElseExits1()
    {
        var failing = """{ "name": "zebra", "goal": "Compare Flask and FastAPI routing", "corpus": "corpus", "expect": { "answerMentions": ["zebra"] } }""";
        var suite = Suite(GreetingCase, failing);

        var (strict, output, _) = await CliProcess.RunAsync(_work, null, "eval", suite, "--offline");
        var (lenient, _, error) = await CliProcess.RunAsync(_work, null, "eval", suite, "--offline", "--min-pass", "0.5");
        var (tooStrict, _, _) = await CliProcess.RunAsync(_work, null, "eval", suite, "--offline", "--min-pass", "0.75");

        Assert.Equal(1, strict);
        Assert.Contains("- the answer does not mention 'zebra'", output, StringComparison.Ordinal);
        Assert.True(lenient == 0, error);
        Assert.Equal(1, tooStrict);
    }

    [Fact]
    public async Task Eval_CaseWithoutAssertionsOrMisspeltOne_Exits2NamingTheProblem()
    {
        var (empty, _, emptyError) = await CliProcess.RunAsync(_work, null, "eval", Suite("""{ "name": "nothing", "goal": "hello" }"""), "--offline");
        var (misspelt, _, misspeltError) = await CliProcess.RunAsync(_work, null, "eval", Suite("""{ "name": "typo", "goal": "hello", "expect": { "stauts": "answered" } }"""), "--offline");

        Assert.Equal(2, empty);
        Assert.Contains("case 'nothing': expect has no assertion, so the case cannot fail.", emptyError, StringComparison.Ordinal);
        Assert.Equal(2, misspelt);
        Assert.Contains("stauts", misspeltError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_StarterSuite_PassesEveryCaseOffline()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "eval", Path.Combine(RepositoryFolder.Root, "eval", "starter.json"), "--offline");

        Assert.True(exit == 0, output + error);
        Assert.Contains("Totals: 10/10 passed (100%)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_Help_ShowsExamplesAndNoStoreOptions()
    {
        var (exit, output, _) = await CliProcess.RunAsync(_work, null, "eval", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("plansmith eval eval/starter.json --prompts ./my-prompts", output, StringComparison.Ordinal);
        Assert.Contains("--min-pass", output, StringComparison.Ordinal);

        // Eval runs are never recorded, so the store options are not offered.
        Assert.DoesNotContain("--no-store", output, StringComparison.Ordinal);
    }
}
