using Microsoft.Data.Sqlite;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Hostile;

/// <summary>Shared pieces of the hostile run store tests: gated models, raw SQL, corruption.</summary>
internal static class HostileStore
{
    public static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public static RunInfo Info(string goal = "a goal") => new(goal, "m", "{}", "", "", []);

    /// <summary>
    /// A plan of <paramref name="steps"/> steps in a chain whose step <paramref name="gatedStep"/>
    /// waits for <paramref name="gate"/> after signalling <paramref name="entered"/>; every step's
    /// model call is counted in <paramref name="calls"/>.
    /// </summary>
    public static ScriptedModel Gated(int steps, int gatedStep, TaskCompletionSource entered, Task gate, Dictionary<string, int> calls, Func<string, Task>? onStep = null) => new(async r =>
    {
        switch (r.Prompt)
        {
            case "plan_create":
                return ModelReply.Json(new { steps = Enumerable.Range(1, steps).Select(i => new { id = $"s{i}", description = $"Work item {i}", dependencies = i == 1 ? Array.Empty<string>() : [$"s{i - 1}"] }) });
            case "step_execute":
                var id = "s" + r.User.Split("Step: Work item ")[1].Split('\n')[0];
                lock (calls)
                {
                    calls[id] = calls.GetValueOrDefault(id) + 1;
                }

                if (onStep is not null)
                {
                    await onStep(id);
                }

                if (id == $"s{gatedStep}")
                {
                    entered.TrySetResult();
                    await gate;
                }

                return new ModelReply("done " + id);
            default:
                return new ModelReply("All done.");
        }
    });

    public static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA foreign_keys = ON; " + sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Moves everything from the WAL into the main file, so that damage to the file is what SQLite reads next.</summary>
    public static void Checkpoint(string path)
    {
        SqliteConnection.ClearAllPools();
        Sql(path, "PRAGMA wal_checkpoint(TRUNCATE);");
        SqliteConnection.ClearAllPools();
    }

    /// <summary>Writes seeded garbage over every page after the first (the header and schema stay intact).</summary>
    public static void CorruptPagesAfterFirst(string path, int seed)
    {
        Checkpoint(path);
        var bytes = File.ReadAllBytes(path);
        var garbage = new byte[bytes.Length - 4096];
        new Random(seed).NextBytes(garbage);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = 4096;
        file.Write(garbage);
    }

    public static int DeadProcessId()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    public static PlansmithOptions LongOptions() => TestSupport.OpenAI.TestAgents.Options(o =>
    {
        o.Execution.MaxParallelism = 1;
        o.Execution.StepTimeout = TimeSpan.FromHours(1);
        o.Budget.MaxDuration = TimeSpan.FromHours(2);
    });

    public static int Count(Dictionary<string, int> calls)
    {
        lock (calls)
        {
            return calls.Values.Sum();
        }
    }
}

/// <summary>A store that says when each lease renewal has been written.</summary>
internal sealed class RenewalSignallingStore(IRunStore inner) : IRunStore
{
    public SemaphoreSlim Renewed { get; } = new(0);

    public TimeSpan LeaseDuration => inner.LeaseDuration;

    public Task<string> CreateRunAsync(RunInfo info, CancellationToken cancellationToken = default) => inner.CreateRunAsync(info, cancellationToken);

    public Task ClaimRunAsync(string runId, CancellationToken cancellationToken = default) => inner.ClaimRunAsync(runId, cancellationToken);

    public async Task RenewLeaseAsync(string runId, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.RenewLeaseAsync(runId, cancellationToken);
        }
        finally
        {
            Renewed.Release();
        }
    }

    public Task ReleaseRunAsync(string runId, CancellationToken cancellationToken = default) => inner.ReleaseRunAsync(runId, cancellationToken);

    public Task AppendEventAsync(string runId, ExecutionEvent executionEvent, CancellationToken cancellationToken = default) => inner.AppendEventAsync(runId, executionEvent, cancellationToken);

    public Task MarkUnverifiedAsync(string runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken = default) => inner.MarkUnverifiedAsync(runId, stepIds, cancellationToken);

    public Task CompleteRunAsync(string runId, AgentRunStatus status, string answer, string? failure, TokenUsage usage, CancellationToken cancellationToken = default) => inner.CompleteRunAsync(runId, status, answer, failure, usage, cancellationToken);

    public Task<StoredRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => inner.GetRunAsync(runId, cancellationToken);

    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default) => inner.ListRunsAsync(limit, cancellationToken);

    public Task<bool> DeleteRunAsync(string runId, CancellationToken cancellationToken = default) => inner.DeleteRunAsync(runId, cancellationToken);
}
