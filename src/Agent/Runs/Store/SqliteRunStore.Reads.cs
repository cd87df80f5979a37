// CA2007 flags the implicit DisposeAsync of 'await using'; every explicit await here already
// uses ConfigureAwait(false), and the disposals touch no synchronization context.
#pragma warning disable CA2007

namespace Plansmith.Agent.Runs.Store;

/// <summary>Reading: the snapshot rows as a <see cref="StoredRun"/> or a list of <see cref="RunSummary"/>; nothing is written.</summary>
public sealed partial class SqliteRunStore
{
    /// <inheritdoc />
    public Task<StoredRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        ReadAsync(async connection =>
        {
            var now = _time.GetUtcNow();
            var runs = await ReadRowsAsync(connection, $"SELECT goal, provider, options_json, prompts_fingerprint, tools_fingerprint, tool_names, started_at, {HeaderColumns}, {OwnerColumns} FROM runs WHERE id = $run", runId, reader =>
            {
                var header = ReadHeader(reader, 7);
                var owner = ReadOwner(reader, 14, header.Status);
                var run = new StoredRun
                {
                    Id = runId,
                    Info = new RunInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5).Split('\n', StringSplitOptions.RemoveEmptyEntries)),
                    StartedAt = ParseTime(reader.GetString(6)),
                    Owner = Evaluate(owner, now) is OwnerState.Live or OwnerState.Mine && owner.OwnerId is not null ? ToOwner(owner) : null,
                };
                return header.ApplyTo(run) with { Status = DisplayStatus(owner, now) };
            }, cancellationToken).ConfigureAwait(false);
            if (runs.Count == 0)
            {
                return null;
            }

            var run = runs[0];
            var plans = await ReadRowsAsync(connection, "SELECT json FROM plans WHERE run_id = $run ORDER BY version", runId, reader => EventJson.ReadPlan(reader.GetString(0)) with { Goal = run.Info.Goal }, cancellationToken).ConfigureAwait(false);

            // In the order the steps first appeared, as the projection folds them.
            var steps = await ReadRowsAsync(connection, $"SELECT {StepColumns} FROM steps WHERE run_id = $run ORDER BY rowid", runId, ReadStep, cancellationToken).ConfigureAwait(false);
            var events = await ReadRowsAsync(connection, "SELECT seq, type, at, json FROM events WHERE run_id = $run ORDER BY seq", runId, reader => new StoredEvent(reader.GetInt64(0), reader.GetString(1), ParseTime(reader.GetString(2)), reader.GetString(3)), cancellationToken).ConfigureAwait(false);
            return run with { PlanVersions = plans, Steps = steps, Events = events, AwaitsApproval = RunProjection.AwaitsApproval(events.Select(e => e.Type)) };
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<RunSummary>>(async connection =>
        {
            var now = _time.GetUtcNow();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT id, goal, status, started_at, ended_at, input_tokens + output_tokens, {OwnerColumns} FROM runs ORDER BY started_at DESC, id DESC LIMIT $limit";
            command.Parameters.AddWithValue("$limit", limit);
            var runs = new List<RunSummary>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var owner = ReadOwner(reader, 6, StatusText.ParseRunStatus(reader.GetString(2)));
                runs.Add(new RunSummary(reader.GetString(0), reader.GetString(1), DisplayStatus(owner, now), ParseTime(reader.GetString(3)), reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)), reader.GetInt64(5)));
            }

            return runs;
        }, cancellationToken);
}
