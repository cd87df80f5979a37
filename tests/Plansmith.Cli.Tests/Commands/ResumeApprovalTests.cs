using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Plansmith.Cli.Tests.Commands;

/// <summary><c>resume</c> never runs a plan the user rejected, or one that never got past its approval question.</summary>
public sealed class ResumeApprovalTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-resume-approval-").FullName;

    private string Store => Path.Combine(_work, "runs.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Resume_RunRejectedAtApproval_IsRefusedAndRunsNothing()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, "n\n", "run", "--approve", "--offline", "--store", Store, "--root", _work, "Compare apples and pears");
        Assert.True(exit == 1, $"exit {exit}: {error}");
        var id = await OnlyRunAsync();

        var (resumed, output, resumeError) = await CliProcess.RunAsync(_work, null, "resume", id, "--store", Store);

        Assert.Equal(2, resumed);
        Assert.Contains("was rejected", resumeError, StringComparison.Ordinal);
        Assert.DoesNotContain("✓", output, StringComparison.Ordinal);
        Assert.Contains("rejected", (await CliProcess.RunAsync(_work, null, "runs", "--store", Store)).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_RunStoppedAtTheApprovalQuestion_NeedsApproveAndAsksAgain()
    {
        // Ctrl+C while the question waits for an answer: nothing has run yet.
        using (var process = Start("run", "--approve", "--offline", "--store", Store, "--root", _work, "Compare apples and pears"))
        {
            var output = new StringBuilder();
            var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                    if (e.Data?.Contains("Run this plan?", StringComparison.Ordinal) == true)
                    {
                        asked.TrySetResult();
                    }
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            // Standard input stays open: the question must end because of Ctrl+C, not because input ended.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(130, process.ExitCode);
        }

        var id = await OnlyRunAsync();
        var (refused, _, refusal) = await CliProcess.RunAsync(_work, null, "resume", id, "--store", Store);
        Assert.Equal(2, refused);
        Assert.Contains("--approve", refusal, StringComparison.Ordinal);

        var (declined, _, _) = await CliProcess.RunAsync(_work, "n\n", "resume", id, "--approve", "--store", Store);
        Assert.Equal(1, declined);
        Assert.Contains("rejected", (await CliProcess.RunAsync(_work, null, "runs", "--store", Store)).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_RunStoppedAtTheApprovalQuestion_RunsOnceApproved()
    {
        using (var process = Start("run", "--approve", "--offline", "--store", Store, "--root", _work, "Compare apples and pears"))
        {
            var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.Contains("Run this plan?", StringComparison.Ordinal) == true)
                {
                    asked.TrySetResult();
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            // Standard input stays open: the question must end because of Ctrl+C, not because input ended.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        var id = await OnlyRunAsync();
        var (exit, output, error) = await CliProcess.RunAsync(_work, "y\n", "resume", id, "--approve", "--store", Store);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Contains("Run this plan?", output, StringComparison.Ordinal);
        Assert.Contains("completed", (await CliProcess.RunAsync(_work, null, "runs", "--store", Store)).Out, StringComparison.Ordinal);
    }

    private Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _work,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliProcess.CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["XDG_DATA_HOME"] = Path.Combine(_work, ".data");
        start.Environment.Remove("OPENAI_API_KEY");
        return Process.Start(start)!;
    }

    private async Task<string> OnlyRunAsync()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "runs", "--store", Store);
        Assert.True(exit == 0, error);
        var line = output.Split('\n').Skip(1).First(l => l.Trim().Length > 0);
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
    }
}
