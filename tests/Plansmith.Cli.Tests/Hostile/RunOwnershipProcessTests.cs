using Plansmith.Agent.Runs.Store;

namespace Plansmith.Cli.Tests.Hostile;

/// <summary>
/// Runs have one owner, across real processes: a second resume and a delete of a live run are
/// refused (exit 2) and the owner finishes untouched; a killed owner's run shows as interrupted
/// and resumes at once; of two resumes started together exactly one runs.
/// </summary>
public sealed class RunOwnershipProcessTests : HostileCliFixture
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ResumeAndDelete_RunLiveInAnotherProcess_AreRefusedWithExit2AndTheOwnerFinishes()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OnStep = async id =>
        {
            if (id == "s2")
            {
                entered.TrySetResult();
                await gate.Task;
            }
        };
        using var owner = CliProcess.Start(Work, null, null, ["run", .. Agent, "Do four things"]);
        await owner.InputAsync(null);
        await entered.Task.WaitAsync(Wait);
        var runId = await SingleRunIdAsync();

        var resume = await CliProcess.RunAsync(Work, null, ["resume", runId, .. Agent]);
        var delete = await CliProcess.RunAsync(Work, null, "runs", "delete", runId, "--store", Store);
        var list = await CliProcess.RunAsync(Work, null, "runs", "--store", Store);
        var show = await CliProcess.RunAsync(Work, null, "runs", "show", runId, "--store", Store);
        gate.SetResult();
        var done = await owner.WaitAsync();

        Assert.Equal(2, resume.Exit);
        Assert.Contains($"error: Run '{runId}' is live in process {owner.Id} on host {Environment.MachineName} (last heartbeat ", resume.Err, StringComparison.Ordinal);
        Assert.Contains("s ago); wait for it to end or stop that process.", resume.Err, StringComparison.Ordinal);
        Assert.Equal(2, delete.Exit);
        Assert.Contains($"is live in process {owner.Id}", delete.Err, StringComparison.Ordinal);
        Assert.Contains("it was not deleted", delete.Err, StringComparison.Ordinal);
        Assert.Contains(runId + " running", System.Text.RegularExpressions.Regex.Replace(list.Out, " +", " "), StringComparison.Ordinal);
        Assert.Contains($"live in process {owner.Id}", show.Out, StringComparison.Ordinal);
        Assert.True(done.Exit == 0, done.Err);
        Assert.All(Enumerable.Range(1, 4), i => Assert.Equal(1, StepCalls[$"s{i}"]));
        var stored = (await new SqliteRunStore(Store).GetRunAsync(runId))!;
        Assert.Single(stored.Events, e => e.Type == "RunCompleted");
        Assert.Equal(StoredRunStatus.Completed, stored.Status);
        AssertNoCrash(resume.Err + delete.Err + done.Err);
    }

    [Fact]
    public async Task Resume_AfterTheOwnerWasKilled_ShowsInterruptedAndResumesAtOnce()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OnStep = async id =>
        {
            if (id == "s3" && entered.TrySetResult())
            {
                await hold.Task;
            }
        };
        using (var owner = CliProcess.Start(Work, null, null, ["run", .. Agent, "Do four things"]))
        {
            await owner.InputAsync(null);
            await entered.Task.WaitAsync(Wait);
            owner.Process.Kill(); // SIGKILL: no lease released, no chance to clean up
            await owner.Process.WaitForExitAsync();
        }

        hold.SetResult();
        var runId = await SingleRunIdAsync();

        // The lease has 30 s left, but its owner is a dead process on this machine.
        var list = await CliProcess.RunAsync(Work, null, "runs", "--store", Store);
        var resume = await CliProcess.RunAsync(Work, null, ["resume", runId, .. Agent]);

        Assert.Contains(runId + " interrupted", System.Text.RegularExpressions.Regex.Replace(list.Out, " +", " "), StringComparison.Ordinal);
        Assert.True(resume.Exit == 0, resume.Err);
        Assert.Contains("Resuming " + runId + ": 2 step(s) already done; re-running s3", resume.Out, StringComparison.Ordinal);
        Assert.Equal(1, StepCalls["s1"]);
        Assert.Equal(1, StepCalls["s2"]);
        Assert.Equal(2, StepCalls["s3"]); // once in the killed process, once now (recorded as unverified)
        Assert.Equal(1, StepCalls["s4"]);
        Assert.Equal(StoredRunStatus.Completed, (await new SqliteRunStore(Store).GetRunAsync(runId))!.Status);
    }

    [Fact]
    public async Task Resume_TwoProcessesAtOnce_ExactlyOneRunsTheRest()
    {
        var killedAt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondPhase = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resumedAt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseWinner = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OnStep = async id =>
        {
            if (id != "s2")
            {
                return;
            }

            if (!secondPhase.Task.IsCompleted)
            {
                killedAt.TrySetResult();
                await Task.Delay(Timeout.Infinite, Stopping).ContinueWith(_ => { });
                return;
            }

            // The winner holds here until the loser has given up, so that both truly overlap.
            resumedAt.TrySetResult();
            await releaseWinner.Task;
        };
        using (var owner = CliProcess.Start(Work, null, null, ["run", .. Agent, "Do four things"]))
        {
            await owner.InputAsync(null);
            await killedAt.Task.WaitAsync(Wait);
            owner.Process.Kill();
            await owner.Process.WaitForExitAsync();
        }

        var runId = await SingleRunIdAsync();
        secondPhase.SetResult();
        using var left = CliProcess.Start(Work, null, null, ["resume", runId, .. Agent]);
        using var right = CliProcess.Start(Work, null, null, ["resume", runId, .. Agent]);
        await Task.WhenAll(left.InputAsync(null), right.InputAsync(null));
        var exits = new[] { left.WaitAsync(), right.WaitAsync() };
        var first = await await Task.WhenAny(exits).WaitAsync(Wait);
        await resumedAt.Task.WaitAsync(Wait);
        releaseWinner.SetResult();
        var both = await Task.WhenAll(exits).WaitAsync(Wait);

        Assert.Equal(2, first.Exit);
        Assert.Contains("is live in process", first.Err, StringComparison.Ordinal);
        Assert.Equal([0, 2], both.Select(b => b.Exit).Order());
        Assert.Equal(1, StepCalls["s1"]);
        Assert.Equal(2, StepCalls["s2"]); // the killed run's attempt and the winner's
        Assert.Equal(1, StepCalls["s3"]);
        Assert.Equal(1, StepCalls["s4"]);
        var stored = (await new SqliteRunStore(Store).GetRunAsync(runId))!;
        Assert.Single(stored.Events, e => e.Type == "RunCompleted");
        AssertNoCrash(both[0].Err + both[1].Err);
    }
}
