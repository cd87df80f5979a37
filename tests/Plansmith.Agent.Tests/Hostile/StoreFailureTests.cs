using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.Hostile;

/// <summary>
/// Hostile cases for the store failing under a run or a read: a full store (a real SQLITE_FULL
/// from a low page limit), the file or its folder deleted mid-run, pages damaged mid-run or at
/// rest, a damaged header, unreadable stored data, a folder that cannot be made. Each must end in
/// a <see cref="RunStoreException"/> naming the file and the fix, with what was stored intact.
/// </summary>
public sealed class StoreFailureTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("plansmith-storefail-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string StorePath => Path.Combine(_dir, "runs.db");

    /// <summary>Twenty chained steps, each answering with a large output; <paramref name="onStep"/> runs as each starts.</summary>
    private static ScriptedModel Chain(Dictionary<string, int> calls, Func<string, Task>? onStep = null) =>
        HostileStore.Gated(20, 0, new TaskCompletionSource(), Task.CompletedTask, calls, onStep);

    [Fact]
    public async Task Run_StoreFillsUpMidRun_StopsWithFullErrorAndKeepsCompletedSteps()
    {
        var calls = new Dictionary<string, int>();
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new { steps = Enumerable.Range(1, 20).Select(i => new { id = $"s{i}", description = $"Work item {i}", dependencies = i == 1 ? Array.Empty<string>() : [$"s{i - 1}"] }) }),
            "step_execute" => Count(calls, r) is var id ? new ModelReply(id + ":" + new string('x', 6000)) : null!,
            _ => new ModelReply("All done."),
        });
        var store = new SqliteRunStore(StorePath, new SqliteRunStoreOptions { MaxSizeBytes = 160 * 1024 });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), HostileStore.LongOptions(), runStore: store);

        var ex = await Assert.ThrowsAsync<RunStoreException>(() => agent.RunAsync("Fill the store").WaitAsync(Wait));

        Assert.Equal(RunStoreError.Full, ex.Error);
        Assert.False(ex.IsRefusal);
        Assert.StartsWith($"The run store '{StorePath}' could not be written: disk full or the store's size limit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(SQLITE_FULL)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("pass --store PATH / --no-store", ex.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(ex.InnerException);

        // Everything stored before the failure reads back whole; nothing ran after it.
        var reader = new SqliteRunStore(StorePath);
        var run = (await reader.GetRunAsync(Assert.Single(await reader.ListRunsAsync()).Id))!;
        var completed = run.Steps.Where(s => s.Status == StepStatus.Completed).ToList();
        Assert.InRange(completed.Count, 2, 18);
        Assert.All(completed, s => Assert.Equal(s.StepId + ":" + new string('x', 6000), s.Output));
        Assert.Equal(completed.Count + 1, HostileStore.Count(calls));
        Assert.Equal(StoredRunStatus.Interrupted, run.Status);
        Assert.Null(run.Owner);
    }

    [Fact]
    public async Task Run_StoreFileDeletedMidRun_StopsWithMissingErrorNotAFreshStore()
    {
        var calls = new Dictionary<string, int>();
        var model = Chain(calls, id =>
        {
            if (id == "s3")
            {
                foreach (var file in Directory.GetFiles(_dir, "runs.db*"))
                {
                    File.Delete(file);
                }
            }

            return Task.CompletedTask;
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), HostileStore.LongOptions(), runStore: new SqliteRunStore(StorePath));

        var ex = await Assert.ThrowsAsync<RunStoreException>(() => agent.RunAsync("Lose the store").WaitAsync(Wait));

        Assert.Equal(RunStoreError.Missing, ex.Error);
        Assert.Contains($"The run store '{StorePath}' could not be written: the file is gone", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, HostileStore.Count(calls));
        Assert.False(File.Exists(StorePath)); // not silently re-created, empty
    }

    [Fact]
    public async Task Run_StoreFolderDeletedMidRun_StopsWithMissingError()
    {
        var folder = Path.Combine(_dir, "nested");
        var path = Path.Combine(folder, "runs.db");
        var calls = new Dictionary<string, int>();
        var model = Chain(calls, id =>
        {
            if (id == "s2")
            {
                Directory.Delete(folder, recursive: true);
            }

            return Task.CompletedTask;
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), HostileStore.LongOptions(), runStore: new SqliteRunStore(path));

        var ex = await Assert.ThrowsAsync<RunStoreException>(() => agent.RunAsync("Lose the folder").WaitAsync(Wait));

        Assert.Equal(RunStoreError.Missing, ex.Error);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, HostileStore.Count(calls));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task Run_PagesDamagedMidRun_StopsWithDamagedError()
    {
        var calls = new Dictionary<string, int>();
        var model = Chain(calls, id =>
        {
            if (id == "s4")
            {
                HostileStore.CorruptPagesAfterFirst(StorePath, seed: 4);
            }

            return Task.CompletedTask;
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), HostileStore.LongOptions(), runStore: new SqliteRunStore(StorePath));

        var ex = await Assert.ThrowsAsync<RunStoreException>(() => agent.RunAsync("Damage the store").WaitAsync(Wait));

        Assert.Equal(RunStoreError.Damaged, ex.Error);
        Assert.Contains($"The run store '{StorePath}' could not be written: it is damaged (SQLITE_CORRUPT)", ex.Message, StringComparison.Ordinal);
        Assert.Contains(".recover", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, HostileStore.Count(calls));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Read_PagesDamagedAtRest_ShowAndResumeAreDamagedErrors(int seed)
    {
        var model = Chain(new Dictionary<string, int>());
        string runId;
        using (var agent = new PlanningAgent(TestAgents.Kernel(model), HostileStore.LongOptions(), runStore: new SqliteRunStore(StorePath)))
        {
            runId = (await agent.RunAsync("Finish, then be damaged")).RunId!;
        }

        HostileStore.CorruptPagesAfterFirst(StorePath, seed);
        var store = new SqliteRunStore(StorePath); // the header and schema are intact: it opens
        using var resumer = new PlanningAgent(TestAgents.Kernel(model), HostileStore.LongOptions(), runStore: store);

        var show = await Assert.ThrowsAsync<RunStoreException>(() => store.GetRunAsync(runId));
        var list = await Assert.ThrowsAsync<RunStoreException>(() => store.ListRunsAsync());
        var resume = await Assert.ThrowsAsync<RunStoreException>(() => resumer.ResumeAsync(runId).WaitAsync(Wait));

        Assert.All(new[] { show, list, resume }, e =>
        {
            Assert.Equal(RunStoreError.Damaged, e.Error);
            Assert.Contains(StorePath, e.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Open_HeaderDamaged_IsRefusedAndLeftUntouched()
    {
        using (var agent = new PlanningAgent(TestAgents.Kernel(Chain(new Dictionary<string, int>())), HostileStore.LongOptions(), runStore: new SqliteRunStore(StorePath)))
        {
            await agent.RunAsync("Finish, then lose the header");
        }

        HostileStore.Checkpoint(StorePath);
        using (var file = new FileStream(StorePath, FileMode.Open, FileAccess.Write))
        {
            file.Write(new byte[100]);
        }

        var before = SHA256.HashData(File.ReadAllBytes(StorePath));

        var ex = Assert.Throws<RunStoreException>(() => new SqliteRunStore(StorePath));

        SqliteConnection.ClearAllPools();
        Assert.Equal(RunStoreError.NotAStore, ex.Error);
        Assert.Contains("not a Plansmith run store or is damaged", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(StorePath)));
    }

    [Theory]
    [InlineData("UPDATE plans SET json = '{\"steps\": [{\"id\": 42' ")]
    [InlineData("UPDATE runs SET started_at = 'yesterday-ish'")]
    [InlineData("UPDATE steps SET started_at = 'not a time' WHERE step_id = 's1'")]
    public async Task Read_StoredDataUnreadable_IsDamagedErrorNotACrash(string vandalism)
    {
        string runId;
        using (var agent = new PlanningAgent(TestAgents.Kernel(Chain(new Dictionary<string, int>())), HostileStore.LongOptions(), runStore: new SqliteRunStore(StorePath)))
        {
            runId = (await agent.RunAsync("Finish, then be vandalised")).RunId!;
        }

        HostileStore.Sql(StorePath, vandalism);

        var ex = await Assert.ThrowsAsync<RunStoreException>(() => new SqliteRunStore(StorePath).GetRunAsync(runId));

        Assert.Equal(RunStoreError.Damaged, ex.Error);
        Assert.Contains($"The run store '{StorePath}' could not be read", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_FolderCannotBeMade_IsTypedErrorNamingThePath()
    {
        var blocker = Path.Combine(_dir, "a-file");
        File.WriteAllText(blocker, "not a folder");
        var path = Path.Combine(blocker, "runs.db");

        var ex = Assert.Throws<RunStoreException>(() => new SqliteRunStore(path));

        Assert.Equal(RunStoreError.Missing, ex.Error);
        Assert.Contains($"The run store '{path}' could not be created", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--no-store", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_StoreFromSchemaTwoWithARunningRun_IsMigratedAndReadsAsInterrupted()
    {
        using (var connection = new SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE runs (id TEXT PRIMARY KEY, goal TEXT NOT NULL, provider TEXT NOT NULL, options_json TEXT NOT NULL, prompts_fingerprint TEXT NOT NULL, tools_fingerprint TEXT NOT NULL, tool_names TEXT NOT NULL,
                    status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, answer TEXT NOT NULL DEFAULT '', error TEXT, model_calls INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE plans (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, version));
                CREATE TABLE events (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, seq));
                CREATE TABLE steps (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step_id TEXT NOT NULL, status TEXT NOT NULL, output TEXT, attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, ended_at TEXT, error TEXT, unverified INTEGER NOT NULL DEFAULT 0,
                    model_calls INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, step_id));
                INSERT INTO runs (id, goal, provider, options_json, prompts_fingerprint, tools_fingerprint, tool_names, status, started_at) VALUES ('v2-run', 'a goal from schema 2', 'm', '{}', '', '', '', 'running', '2026-11-01T00:00:00.0000000Z');
                PRAGMA user_version = 2;
                """;
            command.ExecuteNonQuery();
        }

        var store = new SqliteRunStore(StorePath);

        Assert.Equal(StoredRunStatus.Interrupted, (await store.GetRunAsync("v2-run"))!.Status);
        Assert.Equal(StoredRunStatus.Interrupted, Assert.Single(await store.ListRunsAsync()).Status);
        await store.ClaimRunAsync("v2-run");
        Assert.Equal(StoredRunStatus.Running, (await store.GetRunAsync("v2-run"))!.Status);
        using var check = new SqliteConnection($"Data Source={StorePath};Pooling=False");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteRunStore.SchemaVersion, (long)version.ExecuteScalar()!);
        Assert.Equal(3, SqliteRunStore.SchemaVersion);
    }

    private static string Count(Dictionary<string, int> calls, ModelRequest request)
    {
        var id = "s" + request.User.Split("Step: Work item ")[1].Split('\n')[0];
        lock (calls)
        {
            calls[id] = calls.GetValueOrDefault(id) + 1;
        }

        return id;
    }
}
