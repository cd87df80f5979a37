using Microsoft.Data.Sqlite;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Plans;

namespace Plansmith.Cli.Tests.Hostile;

/// <summary>
/// Store failures end every command with a message and exit 1 (or 2 when a file that is not a
/// store is refused), never an unhandled exception (exit 134): a read-only store (the CLI run as
/// another user), a full store (a real SQLITE_FULL from a low page limit), damaged pages, a
/// damaged header, the file deleted mid-run, a folder that cannot be made. What was stored
/// before stays readable.
/// </summary>
public sealed class StoreFailureProcessTests : HostileCliFixture
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Run_ReadOnlyStore_Exits1NamingTheFileAndTheFixAndTheStoreIsUnchanged()
    {
        var first = await CliProcess.RunAsync(Work, null, ["run", .. Agent, "Do four things"]);
        Assert.True(first.Exit == 0, first.Err);
        var runId = await SingleRunIdAsync();
        var folder = Path.Combine(Work, "ro");
        Directory.CreateDirectory(folder);
        var store = Path.Combine(folder, "runs.db");
        File.Copy(Store, store);
        File.SetUnixFileMode(Work, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(store, (UnixFileMode)0b110_100_100);
        var before = await File.ReadAllBytesAsync(store);

        // Root ignores file modes: as root, run the CLI as another user, for whom the file and
        // its folder really are read-only (EACCES); otherwise the modes above already do it.
        IReadOnlyList<string>? asOther = Environment.UserName == "root" ? ["setpriv", "--reuid=1234", "--regid=1234", "--clear-groups"] : null;
        var environment = new Dictionary<string, string> { ["HOME"] = Work, ["DOTNET_CLI_HOME"] = Work };
        string[] agent = [.. Agent.Select(a => a == Store ? store : a)];
        var results = new List<(string Command, int Exit, string Err)>();
        foreach (var args in new[] { ["run", .. agent, "Do it again"], ["resume", runId, .. agent], new[] { "runs", "delete", runId, "--store", store } })
        {
            using var child = CliProcess.Start(Work, environment, asOther, args);
            await child.InputAsync(null);
            var (exit, _, err) = await child.WaitAsync();
            results.Add((args[0] + " " + args[1], exit, err));
        }

        Assert.All(results, r =>
        {
            Assert.True(r.Exit == 1, $"{r.Command}: exit {r.Exit}: {r.Err}");
            Assert.Contains($"error: The run store '{store}' could not be", r.Err, StringComparison.Ordinal);
            Assert.Contains("read-only for this user", r.Err, StringComparison.Ordinal);
            Assert.Contains("--store PATH / --no-store", r.Err, StringComparison.Ordinal);
            AssertNoCrash(r.Err);
        });
        Assert.Equal(before, await File.ReadAllBytesAsync(store));
        Assert.Equal(StoredRunStatus.Completed, (await new SqliteRunStore(store).GetRunAsync(runId))!.Status);
    }

    [Fact]
    public async Task Run_StoreFillsUp_Exits1WithSqliteFullAndCompletedStepsStayReadable()
    {
        Steps = 20;
        OutputSize = 6000;
        var full = new Dictionary<string, string> { ["Plansmith__RunStore__MaxSizeBytes"] = (160 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        using var child = CliProcess.Start(Work, full, null, ["run", .. Agent, "Fill the store"]);
        await child.InputAsync(null);
        var (exit, _, err) = await child.WaitAsync();

        Assert.True(exit == 1, $"exit {exit}: {err}");
        Assert.Contains($"error: The run store '{Store}' could not be written: disk full or the store's size limit of 163840 bytes reached (SQLITE_FULL).", err, StringComparison.Ordinal);
        Assert.Contains("pass --store PATH / --no-store", err, StringComparison.Ordinal);
        AssertNoCrash(err);
        var runId = await SingleRunIdAsync();
        var show = await CliProcess.RunAsync(Work, null, "runs", "show", runId, "--store", Store);
        Assert.Equal(0, show.Exit);
        Assert.Contains("**Status:** interrupted", show.Out, StringComparison.Ordinal);
        var run = (await new SqliteRunStore(Store).GetRunAsync(runId))!;
        var completed = run.Steps.Where(s => s.Status == StepStatus.Completed).ToList();
        Assert.InRange(completed.Count, 2, 18);
        Assert.All(completed, s => Assert.Equal(Output(s.StepId, 6000), s.Output));
        Assert.Equal(completed.Count + 1, StepCalls.Values.Sum());
    }

    [Fact]
    public async Task Chat_StoreFull_Exits1WithMessage()
    {
        Steps = 6;
        OutputSize = 8000;
        var full = new Dictionary<string, string> { ["Plansmith__RunStore__MaxSizeBytes"] = "16384" };
        using var child = CliProcess.Start(Work, full, null, ["chat", .. Agent]);
        await child.InputAsync("/run Fill the store\ny\n/exit\n");
        var (exit, _, err) = await child.WaitAsync();

        Assert.True(exit == 1, $"exit {exit}: {err}");
        Assert.Contains($"error: The run store '{Store}' could not be written", err, StringComparison.Ordinal);
        Assert.Contains("(SQLITE_FULL)", err, StringComparison.Ordinal);
        AssertNoCrash(err);
    }

    [Fact]
    public async Task EveryCommand_PagesDamagedMidFile_Exits1WithAClearMessage()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OnStep = async id =>
        {
            if (id == "s3" && entered.TrySetResult())
            {
                await Task.Delay(Timeout.Infinite, Stopping).ContinueWith(_ => { });
            }
        };
        using (var owner = CliProcess.Start(Work, null, null, ["run", .. Agent, "Do four things"]))
        {
            await owner.InputAsync(null);
            await entered.Task.WaitAsync(Wait);
            owner.Process.Kill();
            await owner.Process.WaitForExitAsync();
        }

        var runId = await SingleRunIdAsync();
        Damage(Store, from: 4096, seed: 8);

        var commands = new[]
        {
            new[] { "runs", "--store", Store },
            ["runs", "show", runId, "--store", Store],
            ["runs", "report", runId, "--format", "html", "--store", Store],
            ["runs", "delete", runId, "--store", Store],
            ["resume", runId, .. Agent],
            ["run", .. Agent, "Another goal"],
        };
        foreach (var args in commands)
        {
            var (exit, _, err) = await CliProcess.RunAsync(Work, null, args);
            Assert.True(exit == 1, $"{string.Join(' ', args.Take(2))}: exit {exit}: {err}");
            Assert.Contains($"error: The run store '{Store}' could not be", err, StringComparison.Ordinal);
            Assert.Contains("damaged", err, StringComparison.Ordinal);
            Assert.Contains(".recover", err, StringComparison.Ordinal);
            AssertNoCrash(err);
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task EveryCommand_HeaderDamaged_IsRefusedWithExit2AndTheFileUntouched()
    {
        var first = await CliProcess.RunAsync(Work, null, ["run", .. Agent, "Do four things"]);
        Assert.True(first.Exit == 0, first.Err);
        var runId = await SingleRunIdAsync();
        Damage(Store, from: 0, seed: 9, length: 100);
        var before = await File.ReadAllBytesAsync(Store);

        var commands = new[]
        {
            new[] { "runs", "--store", Store },
            ["runs", "show", runId, "--store", Store],
            ["runs", "report", runId, "--store", Store],
            ["runs", "delete", runId, "--store", Store],
            ["resume", runId, .. Agent],
            ["run", .. Agent, "Another goal"],
            ["chat", .. Agent],
        };
        foreach (var args in commands)
        {
            var (exit, _, err) = await CliProcess.RunAsync(Work, "/exit\n", args);
            Assert.True(exit == 2, $"{string.Join(' ', args.Take(2))}: exit {exit}: {err}");
            Assert.Contains("not a Plansmith run store or is damaged", err, StringComparison.Ordinal);
            AssertNoCrash(err);
        }

        Assert.Equal(before, await File.ReadAllBytesAsync(Store));
    }

    [Fact]
    public async Task Run_StoreFileDeletedMidRun_Exits1AndNoStoreIsSilentlyRecreated()
    {
        OnStep = id =>
        {
            if (id == "s2")
            {
                foreach (var file in Directory.GetFiles(Work, "runs.db*"))
                {
                    File.Delete(file);
                }
            }

            return Task.CompletedTask;
        };

        var (exit, _, err) = await CliProcess.RunAsync(Work, null, ["run", .. Agent, "Lose the store"]);

        Assert.True(exit == 1, $"exit {exit}: {err}");
        Assert.Contains($"error: The run store '{Store}' could not be written: the file is gone (deleted or moved while in use).", err, StringComparison.Ordinal);
        AssertNoCrash(err);
        Assert.False(File.Exists(Store));
        Assert.Equal(2, StepCalls.Values.Sum());
    }

    [Fact]
    public async Task RunAndRuns_StoreFolderCannotBeMade_Exit1NamingThePath()
    {
        var blocker = Path.Combine(Work, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "a file where the store's folder should be");
        var store = Path.Combine(blocker, "runs.db");

        var run = await CliProcess.RunAsync(Work, null, ["run", .. Agent.Select(a => a == Store ? store : a), "Go"]);
        var runs = await CliProcess.RunAsync(Work, null, "runs", "--store", store);

        Assert.All(new[] { run, runs }, r =>
        {
            Assert.True(r.Exit == 1, $"exit {r.Exit}: {r.Err}");
            Assert.Contains($"error: The run store '{store}' could not be created", r.Err, StringComparison.Ordinal);
            AssertNoCrash(r.Err);
        });
        Assert.Empty(StepCalls);
    }

    /// <summary>Checkpoints the WAL into the file, then writes seeded garbage over part of it.</summary>
    private static void Damage(string path, int from, int seed, int? length = null)
    {
        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var garbage = new byte[length ?? (int)(file.Length - from)];
        new Random(seed).NextBytes(garbage);
        file.Position = from;
        file.Write(garbage);
    }
}
