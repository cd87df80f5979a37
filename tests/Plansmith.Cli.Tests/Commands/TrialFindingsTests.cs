using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Planning;
using Plansmith.Cli.Commands;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>What a new user's trial found: argument files, unbounded reads, signals, ranges, paths of the wrong kind, messages.</summary>
public sealed class TrialFindingsTests : IDisposable
{
    private const string Plan = "{\"goal\":\"g\",\"steps\":[{\"id\":\"s1\",\"description\":\"read\",\"tool\":\"files.read\",\"args\":{\"path\":\"nope.txt\"}}]}";

    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-trial-").FullName;

    public TrialFindingsTests() => File.WriteAllText(Path.Combine(_work, "plan.json"), Plan);

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Theory]
    [InlineData("@/tmp", "is a folder")]
    [InlineData("@/dev/zero", "is not a regular file")]
    [InlineData("@/no/such/file", "does not exist")]
    public async Task ArgumentFile_NotAReadableFile_ExitsTwoNamingIt(string arg, string why)
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, arg);
        Assert.True(exit == 2, $"exit {exit}: {error}");
        Assert.Contains($"the argument file '{arg}' {why}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArgumentFile_OverOneMebibyte_IsTooLarge()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "args.txt"), new string('a', 1024 * 1024 + 1));
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "@args.txt");
        Assert.Equal(2, exit);
        Assert.Contains("is too large", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/dev/zero", "is a device, not a file")]
    [InlineData("/tmp", "is a folder, not a file")]
    public async Task Validate_DeviceOrFolder_IsRefusedBeforeReading(string path, string why)
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "validate", path);
        Assert.True(exit == 2, $"exit {exit}: {error}");
        Assert.Contains($"'{path}' {why}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GoalFileIsADevice_IsRefused()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--no-store", "--goal-file", "/dev/zero");
        Assert.Equal(2, exit);
        Assert.Contains("'/dev/zero' is a device", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GoalOnStandardInputOverTheLimit_IsRefused()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, new string('y', GoalInput.MaxLength + 10), "run", "--no-store", "-");
        Assert.Equal(2, exit);
        Assert.Contains("more than 1,000,000 characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_PlanOverTheLimit_IsRefused()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "big.json"), new string(' ', 1_000_010) + Plan);
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "validate", "big.json");
        Assert.Equal(2, exit);
        Assert.Contains("more than 1,000,000 characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_FifoWithoutData_EndsOnSigterm()
    {
        var fifo = Path.Combine(_work, "ff");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
        }

        using var child = CliProcess.Start(_work, null, null, "validate", fifo);
        await child.InputAsync(null);

        // Opening the write end returns once the CLI has opened the read end: it is then blocked reading.
        await using var writer = await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write)).WaitAsync(TimeSpan.FromSeconds(60));
        using (var kill = Process.Start("kill", ["-TERM", child.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var (exit, _, error) = await child.WaitAsync();
        Assert.True(exit == 143, $"exit {exit}: {error}");
        Assert.Contains("Terminating: cancelling", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-retries", "1000000", "--max-retries must be from 0 to 20")]
    [InlineData("--max-parallel", "100000", "--max-parallel must be from 1 to 10,000")]
    [InlineData("--step-timeout", "0", "greater than 0 and at most 86400")]
    public async Task Execute_OutOfRangeNumber_ExitsTwoWithTheRange(string option, string value, string message)
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "execute", "plan.json", option, value);
        Assert.True(exit == 2, $"exit {exit}: {error}");
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("did not expect", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RunLimitOptions_Help_ShowsTheRangesTheOptionsAccept()
    {
        var limits = new RunLimitOptions();
        Assert.Contains(Range(typeof(PlansmithOptions), nameof(PlansmithOptions.MaxReplans)), limits.MaxReplans.Description, StringComparison.Ordinal);
        Assert.Contains(Range(typeof(PlansmithOptions), nameof(PlansmithOptions.MaxSteps)), limits.MaxSteps.Description, StringComparison.Ordinal);
        Assert.Contains(Range(typeof(PlansmithOptions), nameof(PlansmithOptions.MaxDepth)), limits.MaxDepth.Description, StringComparison.Ordinal);
        Assert.Contains(Range(typeof(PlanExecutorOptions), nameof(PlanExecutorOptions.MaxParallelism)), limits.MaxParallel.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunsReport_OutputIsAFolderMissingFolderOrFullDisk_SaysSoWithoutACrash()
    {
        var (ran, _, ranError) = await CliProcess.RunAsync(_work, null, "run", "--quiet", "Say hello");
        Assert.True(ran == 0, ranError);
        var (_, list, _) = await CliProcess.RunAsync(_work, null, "runs");
        var id = list.Split('\n')[1].Split(' ')[0];

        var (folder, _, folderError) = await CliProcess.RunAsync(_work, null, "runs", "report", id, "--output", _work);
        Assert.True(folder == 2, folderError);
        Assert.Contains("is a folder", folderError, StringComparison.Ordinal);

        var (missing, _, missingError) = await CliProcess.RunAsync(_work, null, "runs", "report", id, "--output", "/no/such/folder/x.html");
        Assert.True(missing == 2, missingError);
        Assert.Contains("folder that does not exist", missingError, StringComparison.Ordinal);

        var (full, _, fullError) = await CliProcess.RunAsync(_work, null, "runs", "report", id, "--output", "/dev/full");
        Assert.True(full == 1, fullError);
        Assert.Contains("could not write the report to '/dev/full'", fullError, StringComparison.Ordinal);
        Assert.DoesNotContain("did not expect", fullError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_QuietFailure_StillSaysWhy()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "execute", "plan.json", "--quiet");
        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, output);
        Assert.Contains("Failed:", error, StringComparison.Ordinal);
        Assert.Contains("s1:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunsShow_UnknownOption_NamesTheWholeCommandWithoutTheGoalHint()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "runs", "show", "x", "--json");
        Assert.Equal(2, exit);
        Assert.Contains("'--json' is not an option of 'plansmith runs show'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("goes after '--'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownMode_NamesTheOptionAndItsValues()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--mode", "fast", "goal");
        Assert.Equal(2, exit);
        Assert.Contains("--mode takes linear, dag, hierarchical or adaptive; 'fast' is not one", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("is a file, not a folder", "tools", "--corpus", "plan.json")]
    [InlineData("is a file, not a folder", "tools", "--root", "plan.json")]
    [InlineData("is a file, not a folder", "prompts", "list", "--prompts", "plan.json")]
    [InlineData("is a folder, not a file", "tools", "--config", "/tmp")]
    public async Task PathOfTheWrongKind_SaysWhatItIs(string why, params string[] args)
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, args);
        Assert.True(exit == 2, $"exit {exit}: {error}");
        Assert.Contains(why, error, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_ArgumentOfTheWrongType_ExitsTwoSayingWhatItTakes()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "invoke", "files.read", "--arg", "path=plan.json", "--arg", "maxChars=abc");
        Assert.True(exit == 2, $"exit {exit}: {error}");
        Assert.Contains("maxChars takes a whole number; 'abc' is not one", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Int32", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_RepeatedArgument_IsAnError()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "invoke", "files.read", "--arg", "path=plan.json", "--arg", "path=other");
        Assert.Equal(2, exit);
        Assert.Contains("more than once", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--arg path=README.md", "invoke")]
    [InlineData("plansmith tools --json", "tools")]
    [InlineData("plansmith validate plan.json", "validate")]
    [InlineData("plansmith execute plan.json", "execute")]
    [InlineData("plansmith runs show ", "runs", "show")]
    [InlineData("plansmith runs delete ", "runs", "delete")]
    [InlineData("plansmith prompts list", "prompts", "list")]
    [InlineData("plansmith prompts show plan_create", "prompts", "show")]
    [InlineData("plansmith prompts check", "prompts", "check")]
    public async Task Help_HasExamples(string example, params string[] command)
    {
        var (exit, output, _) = await CliProcess.RunAsync(_work, null, [.. command, "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Examples:", output, StringComparison.Ordinal);
        Assert.Contains(example, output, StringComparison.Ordinal);
    }

    private static string Range(Type options, string property)
    {
        var range = options.GetProperty(property)!.GetCustomAttribute<RangeAttribute>()!;
        return string.Create(CultureInfo.InvariantCulture, $"from {range.Minimum} to {Convert.ToInt32(range.Maximum, CultureInfo.InvariantCulture):N0}.");
    }
}
