using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.Runs;

public sealed class SqliteRunStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("plansmith-store-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string StorePath => Path.Combine(_dir, "runs.db");


    private static object Step(string id, string description, string[]? dependencies = null, string? tool = null, object? arguments = null) =>
        new { id, description, dependencies = dependencies ?? [], tool, arguments };

    /// <summary>A one-step plan whose step cancels the run the first time it is asked, as a crash would stop it.</summary>
    private static ScriptedModel InterruptedOnce(CancellationTokenSource cancel) => new(async r =>
    {
        if (r.Prompt == "plan_create")
        {
            return ModelReply.Json(new { steps = new[] { Step("s1", "Think") } });
        }

        if (r.Prompt == "step_execute" && !cancel.IsCancellationRequested)
        {
            await cancel.CancelAsync();
            await Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => { });
        }

        return new ModelReply("ok");
    });

    [Fact]
    public async Task Run_WithStore_RecordsRunPlanStepsEventsAndAnswer()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new[] { Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 }), Step("s2", "Explain ${s1}", ["s1"]) } })
            : new ModelReply(r.Prompt == "step_execute" ? "three" : "The answer is 3."));
        var store = new SqliteRunStore(StorePath);
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(), runStore: store);

        var result = await agent.RunAsync("Add one and two");
        var stored = await store.GetRunAsync(result.RunId!);

        Assert.NotNull(stored);
        Assert.Equal(StoredRunStatus.Completed, stored.Status);
        Assert.Equal("The answer is 3.", stored.Answer);
        Assert.Equal("Add one and two", stored.Info.Goal);
        Assert.Equal("scripted-model at http://scripted.invalid/v1/", stored.Info.Provider);
        Assert.DoesNotContain(TestAgents.ApiKey, stored.Info.Provider + stored.Info.OptionsJson, StringComparison.Ordinal);
        Assert.Equal(["s1", "s2"], stored.PlanVersions[^1].Steps.Select(s => s.Id));
        Assert.Equal("3", stored.Steps.Single(s => s.StepId == "s1").Output);
        Assert.Equal("three", stored.Steps.Single(s => s.StepId == "s2").Output);
        Assert.All(stored.Steps, s => Assert.Equal(StepStatus.Completed, s.Status));
        Assert.Equal(new TokenUsage(0, 0, 0), stored.Steps.Single(s => s.StepId == "s1").Usage);
        Assert.Equal(new TokenUsage(1, 100, 20), stored.Steps.Single(s => s.StepId == "s2").Usage);
        Assert.Contains(stored.Events, e => e.Type == nameof(StepCompleted));
        Assert.Equal(result.Usage.ModelCalls, stored.Usage.ModelCalls);
        var listed = Assert.Single(await store.ListRunsAsync());
        Assert.Equal(result.RunId, listed.Id);
        Assert.True(await store.DeleteRunAsync(result.RunId!));
        Assert.Null(await store.GetRunAsync(result.RunId!));
        Assert.False(await store.DeleteRunAsync(result.RunId!));
    }

    [Fact]
    public async Task Resume_AfterAnInterruptedRun_RunsNoCompletedStepAgainAndMarksUnverified()
    {
        using var cancel = new CancellationTokenSource();
        var firstSession = true;
        var model = new ScriptedModel(async r =>
        {
            switch (r.Prompt)
            {
                case "plan_create":
                    return ModelReply.Json(new { steps = new[] { Step("s1", "Count", tool: "counting.count", arguments: new { value = "a" }), Step("s2", "Think about ${s1}", ["s1"]), Step("s3", "Finish ${s2}", ["s2"], tool: "counting.count", arguments: new { value = "${s2}" }) } });
                case "step_execute" when firstSession:
                    await cancel.CancelAsync();
                    await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { });
                    return new ModelReply("too late");
                case "step_execute":
                    return new ModelReply("thought");
                default:
                    return new ModelReply("Finished.");
            }
        });
        var counting = new CountingPlugin();
        var kernel = TestAgents.Kernel(model, k => k.Plugins.AddFromObject(counting, "counting"));
        var store = new SqliteRunStore(StorePath);
        using var agent = new PlanningAgent(kernel, TestAgents.Options(), runStore: store);
        var first = await agent.RunAsync("Count and think", cancellationToken: cancel.Token);
        Assert.Equal(AgentRunStatus.Cancelled, first.Status);
        Assert.Equal(1, counting.Calls);
        firstSession = false;

        var resumed = await agent.ResumeAsync(first.RunId!);

        Assert.Equal(AgentRunStatus.Completed, resumed.Status);
        Assert.Equal(first.RunId, resumed.RunId);
        Assert.Equal(2, counting.Calls); // s1 once in the first session, s3 once now.
        Assert.Equal("counted a", resumed["s1"].Output);
        Assert.True(resumed["s1"].Restored);
        Assert.Equal("counted thought", resumed["s3"].Output);
        Assert.Single(model.RequestsFor("plan_create"));
        var note = Assert.Single(resumed.Events.OfType<RunResumed>());
        Assert.Equal(["s1"], note.CompletedSteps);
        Assert.Equal(["s2"], note.Unverified);
        Assert.Empty(note.Warnings);
        var stored = await store.GetRunAsync(first.RunId!);
        Assert.Equal(StoredRunStatus.Completed, stored!.Status);
        // s2 may have had its effect in the first session too: the record keeps saying so.
        Assert.True(stored.Steps.Single(s => s.StepId == "s2").Unverified);
        Assert.False(stored.Steps.Single(s => s.StepId == "s1").Unverified);
        await Assert.ThrowsAsync<RunStoreException>(() => agent.ResumeAsync(first.RunId!));
    }

    [Fact]
    public async Task Resume_WhenToolsChanged_WarnsNamingTheDifference()
    {
        var store = new SqliteRunStore(StorePath);
        using var cancel = new CancellationTokenSource();
        var model = InterruptedOnce(cancel);
        using (var before = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(), runStore: store))
        {
            var first = await before.RunAsync("Think", cancellationToken: cancel.Token);
            using var after = new PlanningAgent(TestAgents.Kernel(model, k => k.Plugins.AddFromObject(new CountingPlugin(), "counting")), TestAgents.Options(), runStore: store);

            var resumed = await after.ResumeAsync(first.RunId!);

            var warning = Assert.Single(Assert.Single(resumed.Events.OfType<RunResumed>()).Warnings);
            Assert.Contains("added: counting.count(value)", warning, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ConcurrentRuns_SharingOneStore_AreAllRecorded()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = Enumerable.Range(1, 5).Select(i => Step($"s{i}", "Add", tool: "math.add", arguments: new { a = i, b = i })).ToArray() })
            : new ModelReply("done"));
        var store = new SqliteRunStore(StorePath);
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(), runStore: store);

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => agent.RunAsync($"run {i}")));

        Assert.All(results, r => Assert.Equal(AgentRunStatus.Completed, r.Status));
        Assert.Equal(12, (await store.ListRunsAsync()).Count);
        foreach (var result in results)
        {
            var stored = await store.GetRunAsync(result.RunId!);
            Assert.Equal(5, stored!.Steps.Count(s => s.Status == StepStatus.Completed));
        }
    }

    [Fact]
    public void Open_NewerSchema_IsRefusedAndLeftUntouched()
    {
        _ = new SqliteRunStore(StorePath);
        using (var connection = new SqliteConnection($"Data Source={StorePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        var before = SHA256.HashData(File.ReadAllBytes(StorePath));

        var ex = Assert.Throws<RunStoreException>(() => new SqliteRunStore(StorePath));

        SqliteConnection.ClearAllPools();
        Assert.Contains("newer Plansmith (schema 99", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(StorePath)));
    }

    [Fact]
    public void Open_CorruptFile_IsRefusedAndLeftUntouched()
    {
        var garbage = new byte[8192];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(StorePath, garbage);

        var ex = Assert.Throws<RunStoreException>(() => new SqliteRunStore(StorePath));

        SqliteConnection.ClearAllPools();
        Assert.Contains("not a Plansmith run store or is damaged", ex.Message, StringComparison.Ordinal);
        Assert.Equal(garbage, File.ReadAllBytes(StorePath));
    }

    [Fact]
    public void Open_SomeoneElsesDatabase_IsRefused()
    {
        using (var connection = new SqliteConnection($"Data Source={StorePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE invoices (id INTEGER)";
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();

        var ex = Assert.Throws<RunStoreException>(() => new SqliteRunStore(StorePath));

        Assert.Contains("not a Plansmith run store", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_UnknownRun_SaysHowToListRuns()
    {
        var store = new SqliteRunStore(StorePath);
        using var agent = new PlanningAgent(new Kernel(), TestAgents.Options(), runStore: store);

        var ex = await Assert.ThrowsAsync<RunStoreException>(() => agent.ResumeAsync("nope"));

        Assert.Contains("plansmith runs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_WhenAPromptChanged_WarnsNamingIt()
    {
        var store = new SqliteRunStore(StorePath);
        using var cancel = new CancellationTokenSource();
        var model = InterruptedOnce(cancel);
        var overrides = Path.Combine(_dir, "prompts", "synthesize");
        Directory.CreateDirectory(overrides);
        File.WriteAllText(Path.Combine(overrides, "skprompt.txt"), File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "prompts", "synthesize", "skprompt.txt")).Replace("Write Markdown.", "Write Markdown, briefly.", StringComparison.Ordinal));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "prompts", "synthesize", "config.json"), Path.Combine(overrides, "config.json"));
        using var before = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(), runStore: store);
        var first = await before.RunAsync("Think", cancellationToken: cancel.Token);
        using var prompts = new PromptLibrary(new PromptLibraryOptions { Directory = Path.Combine(_dir, "prompts"), Watch = false });
        using var after = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(), prompts, runStore: store);

        var resumed = await after.ResumeAsync(first.RunId!);

        var warning = Assert.Single(Assert.Single(resumed.Events.OfType<RunResumed>()).Warnings);
        Assert.Contains("The prompts changed since the run started (synthesize)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_StoreFromSchemaOne_IsMigratedKeepingItsRuns()
    {
        using (var connection = new SqliteConnection($"Data Source={StorePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE runs (id TEXT PRIMARY KEY, goal TEXT NOT NULL, provider TEXT NOT NULL, options_json TEXT NOT NULL, prompts_fingerprint TEXT NOT NULL, tools_fingerprint TEXT NOT NULL, tool_names TEXT NOT NULL,
                    status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, answer TEXT NOT NULL DEFAULT '', error TEXT, model_calls INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE plans (run_id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, version));
                CREATE TABLE events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, seq));
                CREATE TABLE steps (run_id TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL, output TEXT, attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, ended_at TEXT, error TEXT, unverified INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, step_id));
                INSERT INTO runs (id, goal, provider, options_json, prompts_fingerprint, tools_fingerprint, tool_names, status, started_at) VALUES ('old-run', 'an old goal', 'm', '{}', '', '', '', 'completed', '2026-11-01T00:00:00.0000000Z');
                INSERT INTO steps (run_id, step_id, status, output, attempts) VALUES ('old-run', 's1', 'completed', 'old output', 1);
                PRAGMA user_version = 1;
                """;
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        var store = new SqliteRunStore(StorePath);

        var run = await store.GetRunAsync("old-run");
        Assert.Equal("an old goal", run!.Info.Goal);
        var step = Assert.Single(run.Steps);
        Assert.Equal("old output", step.Output);
        Assert.Equal(default, step.Usage);
    }
}
