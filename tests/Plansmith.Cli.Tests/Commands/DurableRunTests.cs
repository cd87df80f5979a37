using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Plansmith.Agent.Runs.Store;
using Plansmith.Testing;
using Plansmith.Agent.Plans;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>Runs recorded in the store, killed with SIGKILL, resumed; history and reports.</summary>
public sealed class DurableRunTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-durable-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private string Store => Path.Combine(_work, "runs.db");

    [Fact]
    [Trait("Category", "Slow")]
    public async Task KilledTwentyTimes_EveryResumeCarriesOnAndNoCompletedStepRunsTwice()
    {
        const int Steps = 40;
        var requests = new ConcurrentDictionary<string, int>();
        var model = new ScriptedModel(async r =>
        {
            switch (r.Prompt)
            {
                case "route":
                    return ModelReply.Json(new { plan = true, answer = "" });
                case "plan_create":
                    return ModelReply.Json(new { steps = Enumerable.Range(1, Steps).Select(i => new { id = $"s{i}", description = $"Work item {i}", dependencies = i <= 2 ? Array.Empty<string>() : new[] { $"s{i - 2}" } }) });
                case "plan_reflect":
                    return ModelReply.Json(new { approved = true, issues = Array.Empty<string>() });
                case "step_execute":
                    var id = "s" + r.User.Split("Step: Work item ")[1].Split('\n')[0];
                    requests.AddOrUpdate(id, 1, (_, n) => n + 1);
                    await Task.Delay(200);
                    return new ModelReply("done " + id);
                default:
                    return new ModelReply("All work items are done.");
            }
        });
        await using var server = new LoopbackOpenAIServer(model);
        string[] agentArgs = ["--endpoint", server.BaseAddress.ToString(), "--model", "m", "--store", Store, "--root", _work, "--max-parallel", "2", "--max-steps", "50"];
        var random = new Random(20261126);
        var completedAtKill = new Dictionary<string, int>(StringComparer.Ordinal);
        string? runId = null;
        var kills = 0;
        var finished = false;
        for (var attempt = 0; attempt < 40 && !finished; attempt++)
        {
            string[] args = runId is null ? ["run", .. agentArgs, "Do every work item"] : ["resume", runId, .. agentArgs];
            var killAfter = TimeSpan.FromMilliseconds(random.Next(350, 1000));
            var (exit, killed, output) = await RunAndMaybeKillAsync(args, kills < 20 ? killAfter : null);
            kills += killed ? 1 : 0;
            SqliteConnection.ClearAllPools();
            var store = new SqliteRunStore(Store);
            runId ??= (await store.ListRunsAsync()).SingleOrDefault()?.Id;
            if (runId is null)
            {
                continue; // Killed before the run was recorded: start again.
            }

            var stored = (await store.GetRunAsync(runId))!;
            foreach (var step in stored.Steps.Where(s => s.Status == StepStatus.Completed))
            {
                // No stored output is lost or corrupted…
                Assert.Equal("done " + step.StepId, step.Output);
                completedAtKill.TryAdd(step.StepId, requests.GetValueOrDefault(step.StepId));
            }

            if (!killed)
            {
                Assert.True(exit == 0, $"a resume ended with exit code {exit}: {output}");
                finished = true;
            }
        }

        Assert.True(finished, "the run never completed");
        Assert.True(kills >= 20, $"only {kills} kills");
        var final = (await new SqliteRunStore(Store).GetRunAsync(runId!))!;
        Assert.Equal(StoredRunStatus.Completed, final.Status);
        Assert.Equal(Steps, final.Steps.Count(s => s.Status == StepStatus.Completed));
        Assert.Equal("All work items are done.", final.Answer);

        // …and no step completed before a kill was asked for again afterwards.
        foreach (var (step, countThen) in completedAtKill)
        {
            Assert.True(requests[step] == countThen, $"{step} ran again after it was stored as completed");
        }

        Assert.All(Enumerable.Range(1, Steps), i => Assert.True(requests.ContainsKey($"s{i}")));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task RunsListShowReportDelete_WorkOnTheRecordedRun()
    {
        var corpus = Path.Combine(_work, "corpus");
        Directory.CreateDirectory(corpus);
        File.WriteAllText(Path.Combine(corpus, "flask.md"), "# Flask routing\n\nFlask binds URLs with @app.route.");
        File.WriteAllText(Path.Combine(corpus, "fastapi.md"), "# FastAPI routing\n\nFastAPI uses @app.get.");
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--corpus", corpus, "--root", corpus, "--store", Store, "Compare Flask and FastAPI routing");
        Assert.True(exit == 0, error);
        var runId = error.Split("· run ")[1].Trim();

        var (listExit, list, _) = await CliProcess.RunAsync(_work, null, "runs", "--store", Store);
        var (showExit, show, _) = await CliProcess.RunAsync(_work, null, "runs", "show", runId, "--store", Store);
        var html = Path.Combine(_work, "report.html");
        var (reportExit, _, _) = await CliProcess.RunAsync(_work, null, "runs", "report", runId, "--format", "html", "--output", html, "--store", Store);
        var (mdExit, markdown, _) = await CliProcess.RunAsync(_work, null, "runs", "report", runId, "--format", "md", "--store", Store);

        Assert.Equal(0, listExit);
        Assert.Contains(runId, list, StringComparison.Ordinal);
        Assert.Contains("completed", list, StringComparison.Ordinal);
        Assert.Equal(0, showExit);
        Assert.Contains("## Timeline", show, StringComparison.Ordinal);
        Assert.Equal(0, reportExit);
        Assert.Equal(0, mdExit);
        Assert.Contains("```mermaid\nflowchart TD", markdown, StringComparison.Ordinal);
        Assert.Contains("gantt", markdown, StringComparison.Ordinal);
        var page = await File.ReadAllTextAsync(html);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);

        // The page, rendered by a real browser, lays out every node of the graph and every bar of the timeline.
        var dom = await HeadlessChromiumAsync(html);
        Assert.Contains("data-graph-rendered=\"4\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-edges-rendered=\"3\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-timeline-rendered=\"4\"", dom, StringComparison.Ordinal);

        var (deleteExit, _, _) = await CliProcess.RunAsync(_work, null, "runs", "delete", runId, "--store", Store);
        var (goneExit, _, goneError) = await CliProcess.RunAsync(_work, null, "runs", "show", runId, "--store", Store);
        Assert.Equal(0, deleteExit);
        Assert.Equal(2, goneExit);
        Assert.Contains("no run", goneError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadStores_AreClearErrorsAndLeftUntouched()
    {
        File.WriteAllText(Store, "this is not a database at all, just text that happens to be long enough to look like a header");
        var before = await File.ReadAllBytesAsync(Store);

        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "runs", "--store", Store);
        var (resumeExit, _, resumeError) = await CliProcess.RunAsync(_work, null, "resume", "nope", "--offline", "--store", Path.Combine(_work, "fresh.db"));

        Assert.Equal(2, exit);
        Assert.Contains("not a Plansmith run store or is damaged", error, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(Store));
        Assert.Equal(2, resumeExit);
        Assert.Contains("No run 'nope'", resumeError, StringComparison.Ordinal);
    }

    private async Task<(int Exit, bool Killed, string Error)> RunAndMaybeKillAsync(string[] args, TimeSpan? killAfter)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _work, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(CliProcess.CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("OPENAI_API_KEY");
        start.Environment["XDG_DATA_HOME"] = Path.Combine(_work, ".data");
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var drainOut = process.StandardOutput.ReadToEndAsync();
        var drainErr = process.StandardError.ReadToEndAsync();
        var killed = false;
        if (killAfter is { } delay)
        {
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(exited, Task.Delay(delay)) != exited)
            {
                process.Kill(); // SIGKILL: no chance to clean up.
                killed = true;
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        await Task.WhenAll(drainOut, drainErr);
        return (process.ExitCode, killed, await drainErr + await drainOut);
    }

    private async Task<string> HeadlessChromiumAsync(string file)
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "headless Chromium is needed for this test: apt-get install chromium (.ci/run installs it)");
        var start = new ProcessStartInfo(chromium!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(_work, "chrome")}", "--dump-dom", new Uri(file).AbsoluteUri })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return await output;
    }
}
