using System.Diagnostics;
using System.Globalization;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>What a new user types in the first hour: blank goals, mistyped flags and settings, long goals, SIGTERM.</summary>
public sealed class FirstContactTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-first-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Theory]
    [InlineData("run", "")]
    [InlineData("run", "   ")]
    [InlineData("plan", "  \t ")]
    public async Task BlankGoal_IsAUsageErrorThatSaysWhatToType(string command, string goal)
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, command, "--offline", "--no-store", goal);
        Assert.Equal(2, exit);
        Assert.Contains("goal is empty", error, StringComparison.Ordinal);
        Assert.Contains($"plansmith {command} \"", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoGoal_IsAUsageError()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--no-store");
        Assert.Equal(2, exit);
        Assert.Contains("No goal was given", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--foo")]
    [InlineData("--foo", "x")]
    [InlineData("--quiet", "--foo")]
    [InlineData("-z", "goal")]
    [InlineData("goal", "--max-paralel", "3")]
    public async Task UnknownOption_IsAnErrorNamingIt(params string[] args)
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, ["run", "--offline", "--no-store", .. args]);
        var flag = args.First(a => a.StartsWith('-') && a != "--quiet");
        Assert.Equal(2, exit);
        Assert.Contains($"'{flag}' is not an option of 'plansmith run'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("'x'", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output);
    }

    [Fact]
    public async Task GoalStartingWithDash_WorksAfterDoubleDash()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "plan", "--offline", "--", "-x marks the spot");
        Assert.True(exit == 0, error);
        Assert.Contains("-x marks the spot", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-parallel", "abc", "whole number")]
    [InlineData("--max-parallel", "0", "out of range")]
    [InlineData("--max-replans", "-1", "out of range")]
    [InlineData("--max-steps", "1.5", "whole number")]
    public async Task BadNumber_NamesTheFlagNotADotNetType(string flag, string value, string expected)
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--no-store", flag, value, "goal");
        Assert.Equal(2, exit);
        Assert.Contains(flag, error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Int32", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"Plansmith\": {\"MaxReplans\": \"lots\"}}", "Plansmith:MaxReplans", "whole number")]
    [InlineData("{\"Plansmith\": {\"Execution\": {\"MaxParallelism\": \"many\"}}}", "Plansmith:Execution:MaxParallelism", "whole number")]
    [InlineData("{\"Plansmith\": {\"ModelResilience\": {\"AttemptTimeout\": \"soon\"}}}", "Plansmith:ModelResilience:AttemptTimeout", "time span")]
    [InlineData("{\"Plansmith\": {\"Rerank\": \"maybe\"}}", "Plansmith:Rerank", "true or false")]
    public async Task WronglyTypedSetting_NamesTheSettingAndWhatItTakes(string json, string key, string expected)
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), json);
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--no-store", "goal");
        Assert.Equal(2, exit);
        Assert.Contains(key, error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedSettingsFile_NamesLineAndPosition()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{\n  \"Plansmith\": {\n    \"MaxReplans\": 2,\n  oops\n}");
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--no-store", "goal");
        Assert.Equal(2, exit);
        Assert.Contains("line 4, position 3", error, StringComparison.Ordinal);
        Assert.Contains("appsettings.json", error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Settings_FlagsBeatEnvironmentBeatLocalFileBeatUserFile()
    {
        var model = new ScriptedModel(r => r.Prompt == "route" ? ModelReply.Json(new { plan = false, answer = "ok" }) : new ModelReply("ok"));
        await using var server = new LoopbackOpenAIServer(model);
        var config = Path.Combine(_work, "config");
        Directory.CreateDirectory(Path.Combine(config, "plansmith"));
        await File.WriteAllTextAsync(Path.Combine(config, "plansmith", "appsettings.json"), $"{{\"Plansmith\": {{\"Endpoint\": \"{server.BaseAddress}\", \"Model\": \"from-user-file\"}}}}");
        var env = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = config };

        async Task<string> ModelUsedAsync(IReadOnlyDictionary<string, string> environment, params string[] extra)
        {
            var before = model.Requests.Count;
            var (exit, _, error) = await CliProcess.RunAsync(_work, null, environment, null, ["run", "--no-store", "--quiet", .. extra, "hello"]);
            Assert.True(exit == 0, error);
            return model.Requests[before].Json["model"]!.GetValue<string>();
        }

        Assert.Equal("from-user-file", await ModelUsedAsync(env));
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{\"Plansmith\": {\"Model\": \"from-local-file\"}}");
        Assert.Equal("from-local-file", await ModelUsedAsync(env));
        Assert.Equal("from-env", await ModelUsedAsync(new Dictionary<string, string>(env) { ["PLANSMITH_MODEL"] = "from-env" }));
        Assert.Equal("from-flag", await ModelUsedAsync(new Dictionary<string, string>(env) { ["PLANSMITH_MODEL"] = "from-env" }, "--model", "from-flag"));
    }

    [Fact]
    public async Task GoalFile_LongerThanACommandLine_IsPlanned()
    {
        // Longer than Linux's limit for one command-line argument (128 KiB).
        var goal = "Compare apples and pears. " + string.Concat(Enumerable.Repeat("Background sentence about fruit. ", 4_200));
        Assert.True(goal.Length > 131_072);
        var file = Path.Combine(_work, "goal.txt");
        await File.WriteAllTextAsync(file, goal);
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "plan", "--offline", "--format", "json", "--goal-file", file);
        Assert.True(exit == 0, error);
        Assert.Contains("apples", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--goal-file", "-")]
    [InlineData("-")]
    public async Task GoalFromStandardInput_IsPlanned(params string[] source)
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, "Compare apples and pears\n", ["plan", "--offline", .. source]);
        Assert.True(exit == 0, error);
        Assert.Contains("Compare apples and pears", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GoalFile_MissingOrTwoGoals_AreUsageErrors()
    {
        var (missing, _, error) = await CliProcess.RunAsync(_work, null, "plan", "--offline", "--goal-file", "nope.txt");
        Assert.Equal(2, missing);
        Assert.Contains("'nope.txt' does not exist", error, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(_work, "g.txt"), "x");
        var (both, _, error2) = await CliProcess.RunAsync(_work, null, "plan", "--offline", "--goal-file", "g.txt", "also this");
        Assert.Equal(2, both);
        Assert.Contains("not both", error2, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("chat")]
    [InlineData("resume")]
    [InlineData("runs", "report")]
    public async Task Help_ShowsExamples(params string[] command)
    {
        var (exit, output, _) = await CliProcess.RunAsync(_work, null, [.. command, "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Examples:", output, StringComparison.Ordinal);
        Assert.Contains("plansmith " + string.Join(' ', command), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_CancelsTheRunCleanlyWithExit143()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedModel(async r =>
        {
            if (r.Prompt == "route")
            {
                return ModelReply.Json(new { plan = true, answer = "" });
            }

            if (r.Prompt == "plan_create")
            {
                asked.TrySetResult();
                await Task.Delay(TimeSpan.FromSeconds(60));
            }

            return new ModelReply("ok");
        });
        await using var server = new LoopbackOpenAIServer(model);
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, new Dictionary<string, string>(), async pid =>
        {
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var kill = Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--no-store", "slow goal");
        Assert.True(exit == 143, $"exit {exit}: {error}");
        Assert.Contains("Terminating", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", error, StringComparison.Ordinal);
    }
}
