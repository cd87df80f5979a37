// CA2007 flags the implicit DisposeAsync of 'await using'; every explicit await here already
// uses ConfigureAwait(false), and the disposals touch no synchronization context.
#pragma warning disable CA2007

using Microsoft.Data.Sqlite;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Writing: each event is appended and <see cref="RunProjection"/> applied to the snapshot rows it
/// touches, in one transaction. The rows are read and written here; what changes is decided there.
/// </summary>
public sealed partial class SqliteRunStore
{
    private const string StepColumns = "step_id, status, output, attempts, started_at, ended_at, error, unverified, model_calls, input_tokens, output_tokens";

    private const string HeaderColumns = "status, answer, error, ended_at, model_calls, input_tokens, output_tokens";

    /// <inheritdoc />
    public Task AppendEventAsync(string runId, ExecutionEvent executionEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        return WriteAsync(async (connection, transaction) =>
        {
            await EnsureOwnedAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, "INSERT INTO events (run_id, seq, type, at, json) VALUES ($run, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = $run), $type, $at, $json)", c =>
            {
                c.Parameters.AddWithValue("$run", runId);
                c.Parameters.AddWithValue("$type", executionEvent.GetType().Name);
                c.Parameters.AddWithValue("$at", Time(executionEvent.Timestamp));
                c.Parameters.AddWithValue("$json", EventJson.Serialize(executionEvent));
            }, cancellationToken).ConfigureAwait(false);

            if (RunProjection.PlanVersionOf(executionEvent) is { } plan)
            {
                await ExecuteAsync(connection, transaction, "INSERT INTO plans (run_id, version, json) VALUES ($run, (SELECT COALESCE(MAX(version), 0) + 1 FROM plans WHERE run_id = $run), $json)", c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
                    c.Parameters.AddWithValue("$json", PlanJson.Serialize(plan, indented: false));
                }, cancellationToken).ConfigureAwait(false);
            }

            if (RunProjection.StepIdOf(executionEvent) is { } stepId)
            {
                var step = await ReadStepAsync(connection, transaction, runId, stepId, cancellationToken).ConfigureAwait(false);
                await WriteStepAsync(connection, transaction, runId, RunProjection.ApplyToStep(step, executionEvent), cancellationToken).ConfigureAwait(false);
            }

            await MarkUnverifiedAsync(connection, transaction, runId, RunProjection.UnverifiedBy(executionEvent), cancellationToken).ConfigureAwait(false);
            var header = await ReadHeaderAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
            await WriteHeaderAsync(connection, transaction, runId, header, RunProjection.ApplyToHeader(header, executionEvent), cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task MarkUnverifiedAsync(string runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stepIds);
        if (stepIds.Count == 0)
        {
            return Task.CompletedTask;
        }

        return WriteAsync(async (connection, transaction) =>
        {
            await EnsureOwnedAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
            await MarkUnverifiedAsync(connection, transaction, runId, stepIds, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task CompleteRunAsync(string runId, AgentRunStatus status, string answer, string? failure, TokenUsage usage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return WriteAsync(async (connection, transaction) =>
        {
            await EnsureOwnedAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
            var header = await ReadHeaderAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
            var ended = RunProjection.Complete(header, status, answer, failure, usage, _time.GetUtcNow());
            await WriteHeaderAsync(connection, transaction, runId, header, ended, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>Marks the stored steps among <paramref name="stepIds"/> unverified; steps not stored yet are left alone.</summary>
    private static async Task MarkUnverifiedAsync(SqliteConnection connection, SqliteTransaction transaction, string runId, IEnumerable<string> stepIds, CancellationToken cancellationToken)
    {
        foreach (var stepId in stepIds)
        {
            if (await ReadStepAsync(connection, transaction, runId, stepId, cancellationToken).ConfigureAwait(false) is { } step)
            {
                await WriteStepAsync(connection, transaction, runId, RunProjection.MarkUnverified(step), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The run-level row as <see cref="RunProjection"/> sees it; schema 3 keeps no approval wait, so it reads as none (nothing here depends on it).</summary>
    private async Task<RunHeader> ReadHeaderAsync(SqliteConnection connection, SqliteTransaction transaction, string runId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"SELECT {HeaderColumns} FROM runs WHERE id = $run", runId);
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? ReadHeader(reader, 0)
            : throw new RunStoreException($"Run '{runId}' is no longer in the run store '{Path}'.", RunStoreError.Vanished, Path);
    }

    private static RunHeader ReadHeader(SqliteDataReader reader, int first) => new()
    {
        Status = StatusText.ParseRunStatus(reader.GetString(first)),
        Answer = reader.GetString(first + 1),
        Error = reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2),
        EndedAt = reader.IsDBNull(first + 3) ? null : ParseTime(reader.GetString(first + 3)),
        Usage = new TokenUsage(reader.GetInt32(first + 4), reader.GetInt64(first + 5), reader.GetInt64(first + 6)),
    };

    /// <summary>Writes the run-level row when the projection changed it.</summary>
    private static async Task WriteHeaderAsync(SqliteConnection connection, SqliteTransaction transaction, string runId, RunHeader before, RunHeader after, CancellationToken cancellationToken)
    {
        if (after with { AwaitsApproval = before.AwaitsApproval } == before)
        {
            return;
        }

        await ExecuteAsync(
            connection,
            transaction,
            """
            UPDATE runs SET status = $status, answer = $answer, error = $error, ended_at = $ended,
                model_calls = $calls, input_tokens = $in, output_tokens = $out
            WHERE id = $run
            """,
            c =>
            {
                c.Parameters.AddWithValue("$run", runId);
                c.Parameters.AddWithValue("$status", after.Status.ToText());
                c.Parameters.AddWithValue("$answer", after.Answer);
                c.Parameters.AddWithValue("$error", (object?)after.Error ?? DBNull.Value);
                c.Parameters.AddWithValue("$ended", after.EndedAt is { } ended ? Time(ended) : (object)DBNull.Value);
                c.Parameters.AddWithValue("$calls", after.Usage.ModelCalls);
                c.Parameters.AddWithValue("$in", after.Usage.InputTokens);
                c.Parameters.AddWithValue("$out", after.Usage.OutputTokens);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task<StoredStep?> ReadStepAsync(SqliteConnection connection, SqliteTransaction transaction, string runId, string stepId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"SELECT {StepColumns} FROM steps WHERE run_id = $run AND step_id = $step", runId);
        command.Transaction = transaction;
        command.Parameters.AddWithValue("$step", stepId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadStep(reader) : null;
    }

    /// <summary>A step row, its columns in the order of <see cref="StepColumns"/>.</summary>
    private static StoredStep ReadStep(SqliteDataReader reader) => new(
        reader.GetString(0), StatusText.ParseStepStatus(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3),
        reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)), reader.IsDBNull(5) ? null : ParseTime(reader.GetString(5)),
        reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7) != 0)
    {
        Usage = new TokenUsage(reader.GetInt32(8), reader.GetInt64(9), reader.GetInt64(10)),
    };

    private static Task<int> WriteStepAsync(SqliteConnection connection, SqliteTransaction transaction, string runId, StoredStep step, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            transaction,
            $"""
            INSERT INTO steps (run_id, {StepColumns})
            VALUES ($run, $step, $status, $output, $attempts, $started, $ended, $error, $unverified, $calls, $in, $out)
            ON CONFLICT (run_id, step_id) DO UPDATE SET
                status = excluded.status, output = excluded.output, attempts = excluded.attempts, started_at = excluded.started_at,
                ended_at = excluded.ended_at, error = excluded.error, unverified = excluded.unverified,
                model_calls = excluded.model_calls, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens
            """,
            c =>
            {
                c.Parameters.AddWithValue("$run", runId);
                c.Parameters.AddWithValue("$step", step.StepId);
                c.Parameters.AddWithValue("$status", step.Status.ToText());
                c.Parameters.AddWithValue("$output", (object?)step.Output ?? DBNull.Value);
                c.Parameters.AddWithValue("$attempts", step.Attempts);
                c.Parameters.AddWithValue("$started", step.StartedAt is { } started ? Time(started) : (object)DBNull.Value);
                c.Parameters.AddWithValue("$ended", step.EndedAt is { } ended ? Time(ended) : (object)DBNull.Value);
                c.Parameters.AddWithValue("$error", (object?)step.Error ?? DBNull.Value);
                c.Parameters.AddWithValue("$unverified", step.Unverified ? 1 : 0);
                c.Parameters.AddWithValue("$calls", step.Usage.ModelCalls);
                c.Parameters.AddWithValue("$in", step.Usage.InputTokens);
                c.Parameters.AddWithValue("$out", step.Usage.OutputTokens);
            },
            cancellationToken);
}
