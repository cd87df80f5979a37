using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Plansmith.Agent.Runs.Store;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Hostile;

/// <summary>A work folder, a store path, and a loopback model whose steps a test can hold, count and act on.</summary>
public abstract class HostileCliFixture : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    protected HostileCliFixture()
    {
        Work = Directory.CreateTempSubdirectory("plansmith-hostile-cli-").FullName;
        Server = new LoopbackOpenAIServer(new ScriptedModel(AnswerAsync));
    }

    protected string Work { get; }

    protected string Store => Path.Combine(Work, "runs.db");

    protected LoopbackOpenAIServer Server { get; }

    /// <summary>How many times each step was asked of the model.</summary>
    protected ConcurrentDictionary<string, int> StepCalls { get; } = new();

    /// <summary>Runs as each step is asked, before it is answered (hold it, kill someone, damage the store).</summary>
    protected Func<string, Task> OnStep { get; set; } = _ => Task.CompletedTask;

    protected int Steps { get; set; } = 4;

    protected int OutputSize { get; set; } = 10;

    /// <summary>The flags a CLI run against the loopback model and this store needs.</summary>
    protected string[] Agent => ["--endpoint", Server.BaseAddress.ToString(), "--model", "m", "--store", Store, "--root", Work, "--max-parallel", "1", "--max-steps", "50"];

    /// <summary>Cancelled when the test ends: model replies held for killed processes end with it.</summary>
    protected CancellationToken Stopping => _stopping.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Work, recursive: true);
    }

    protected static string Output(string stepId, int size) => stepId + ":" + new string('x', size);

    protected async Task<string> SingleRunIdAsync()
    {
        var runs = await new SqliteRunStore(Store).ListRunsAsync();
        SqliteConnection.ClearAllPools();
        return Assert.Single(runs).Id;
    }

    protected static void AssertNoCrash(string stderr)
    {
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    private async Task<ModelReply> AnswerAsync(ModelRequest r)
    {
        switch (r.Prompt)
        {
            case "route":
                return ModelReply.Json(new { plan = true, answer = "" });
            case "plan_create":
                return ModelReply.Json(new { steps = Enumerable.Range(1, Steps).Select(i => new { id = $"s{i}", description = $"Work item {i}", dependencies = i == 1 ? Array.Empty<string>() : [$"s{i - 1}"] }) });
            case "plan_reflect":
                return ModelReply.Json(new { approved = true, issues = Array.Empty<string>() });
            case "step_execute":
                var id = "s" + r.User.Split("Step: Work item ")[1].Split('\n')[0];
                StepCalls.AddOrUpdate(id, 1, (_, n) => n + 1);
                await OnStep(id);
                return new ModelReply(Output(id, OutputSize));
            default:
                return new ModelReply("All work items are done.");
        }
    }
}
