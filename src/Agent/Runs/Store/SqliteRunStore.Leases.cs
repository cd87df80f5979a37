// CA2007 flags the implicit DisposeAsync of 'await using'; every explicit await here already
// uses ConfigureAwait(false), and the disposals touch no synchronization context.
#pragma warning disable CA2007

using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Plansmith.Agent.Runs.Store;

/// <summary>Ownership: creating and claiming runs, the lease and its heartbeat, release, delete, and the owner check of every write.</summary>
public sealed partial class SqliteRunStore
{
    private const string OwnerColumns = "owner_id, owner_host, owner_pid, owner_machine, heartbeat_at, lease_expires_at";

    /// <inheritdoc />
    public Task<string> CreateRunAsync(RunInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        var now = _time.GetUtcNow();
        var id = now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
        var start = RunHeader.Of(RunProjection.Start(id, info, now));
        return WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(
                connection,
                transaction,
                $"""
                INSERT INTO runs (id, goal, provider, options_json, prompts_fingerprint, tools_fingerprint, tool_names, status, started_at, {OwnerColumns})
                VALUES ($id, $goal, $provider, $options, $prompts, $tools, $names, $status, $at, $owner, $host, $pid, $machine, $now, $expires)
                """,
                c =>
                {
                    c.Parameters.AddWithValue("$id", id);
                    c.Parameters.AddWithValue("$goal", info.Goal);
                    c.Parameters.AddWithValue("$provider", info.Provider);
                    c.Parameters.AddWithValue("$options", info.OptionsJson);
                    c.Parameters.AddWithValue("$prompts", info.PromptsFingerprint);
                    c.Parameters.AddWithValue("$tools", info.ToolsFingerprint);
                    c.Parameters.AddWithValue("$names", string.Join('\n', info.ToolNames));
                    c.Parameters.AddWithValue("$status", start.Status.ToText());
                    c.Parameters.AddWithValue("$at", Time(now));
                    BindOwner(c, now);
                },
                cancellationToken).ConfigureAwait(false);
            _held.TryAdd(id, 0);
            return id;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task ClaimRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        return WriteAsync(async (connection, transaction) =>
        {
            var now = _time.GetUtcNow();
            var row = await ReadOwnerAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false)
                      ?? throw new RunStoreException($"No run '{runId}' in the store. 'plansmith runs' lists the runs.", RunStoreError.NotFound, Path);
            if (row.Status is StoredRunStatus.Completed or StoredRunStatus.Answered)
            {
                throw new RunStoreException($"Run '{runId}' already {row.Status.ToText()}; there is nothing to resume.", RunStoreError.AlreadyEnded, Path);
            }

            if (row.Status is StoredRunStatus.Rejected)
            {
                throw new RunStoreException($"Run '{runId}' was rejected (at approval, or no valid plan could be made); nothing of it ran and it is not resumed. Start the goal again with a new run.", RunStoreError.AlreadyEnded, Path);
            }

            var state = Evaluate(row, now);
            if (state == OwnerState.Mine && _held.ContainsKey(runId))
            {
                throw new RunStoreException($"Run '{runId}' is already running in this process; wait for it to end.", RunStoreError.Owned, Path);
            }

            if (state == OwnerState.Live)
            {
                throw Owned(runId, row, now, "wait for it to end or stop that process.");
            }

            // Compare-and-swap on the owner and expiry just read: of two racing takeovers one wins.
            var changed = await ExecuteAsync(
                connection,
                transaction,
                """
                UPDATE runs SET status = $status, owner_id = $owner, owner_host = $host, owner_pid = $pid, owner_machine = $machine, heartbeat_at = $now, lease_expires_at = $expires
                WHERE id = $run AND owner_id IS $oldOwner AND lease_expires_at IS $oldExpires
                """,
                c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
                    c.Parameters.AddWithValue("$status", StoredRunStatus.Running.ToText());
                    c.Parameters.AddWithValue("$oldOwner", (object?)row.OwnerId ?? DBNull.Value);
                    c.Parameters.AddWithValue("$oldExpires", (object?)row.LeaseExpiresAt ?? DBNull.Value);
                    BindOwner(c, now);
                },
                cancellationToken).ConfigureAwait(false);
            if (changed == 0)
            {
                throw new RunStoreException($"Run '{runId}' was just taken over by another process; wait for it to end or stop that process.", RunStoreError.Owned, Path);
            }

            _held.TryAdd(runId, 0);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task RenewLeaseAsync(string runId, CancellationToken cancellationToken = default) =>
        WriteAsync(async (connection, transaction) =>
        {
            var now = _time.GetUtcNow();
            var changed = await ExecuteAsync(
                connection,
                transaction,
                "UPDATE runs SET heartbeat_at = $now, lease_expires_at = $expires WHERE id = $run AND owner_id = $owner",
                c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
                    BindOwner(c, now);
                },
                cancellationToken).ConfigureAwait(false);
            if (changed == 0)
            {
                await EnsureOwnedAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task ReleaseRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (!_held.TryRemove(runId, out _))
        {
            return Task.CompletedTask;
        }

        return WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(
                connection,
                transaction,
                "UPDATE runs SET owner_id = NULL, owner_host = NULL, owner_pid = NULL, owner_machine = NULL, lease_expires_at = NULL WHERE id = $run AND owner_id = $owner",
                c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
                    c.Parameters.AddWithValue("$owner", _owner.Id);
                },
                cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> DeleteRunAsync(string runId, CancellationToken cancellationToken = default) =>
        WriteAsync(async (connection, transaction) =>
        {
            var now = _time.GetUtcNow();
            if (await ReadOwnerAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false) is not { } row)
            {
                return false;
            }

            var state = Evaluate(row, now);
            if (state == OwnerState.Live || (state == OwnerState.Mine && _held.ContainsKey(runId)))
            {
                throw Owned(runId, row, now, "it was not deleted. Wait for it to end or stop that process.");
            }

            var changed = await ExecuteAsync(
                connection,
                transaction,
                "DELETE FROM runs WHERE id = $run AND owner_id IS $oldOwner AND lease_expires_at IS $oldExpires",
                c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
                    c.Parameters.AddWithValue("$oldOwner", (object?)row.OwnerId ?? DBNull.Value);
                    c.Parameters.AddWithValue("$oldExpires", (object?)row.LeaseExpiresAt ?? DBNull.Value);
                },
                cancellationToken).ConfigureAwait(false);
            return changed > 0 ? true : throw new RunStoreException($"Run '{runId}' was just taken over by another process; it was not deleted.", RunStoreError.Owned, Path);
        }, cancellationToken);

    /// <summary>Throws unless this store still owns the run (inside the caller's transaction).</summary>
    private async Task EnsureOwnedAsync(SqliteConnection connection, SqliteTransaction transaction, string runId, CancellationToken cancellationToken)
    {
        var row = await ReadOwnerAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            _held.TryRemove(runId, out _);
            throw new RunStoreException($"Run '{runId}' is no longer in the run store '{Path}' (it was deleted while running, by hand or by an older Plansmith); this process stopped working on it. Start it again with 'plansmith run'.", RunStoreError.Vanished, Path);
        }

        if (row.OwnerId != _owner.Id)
        {
            _held.TryRemove(runId, out _);
            var who = row.OwnerId is null ? "released" : $"taken over by process {row.OwnerPid} on host {row.OwnerHost}";
            throw new RunStoreException($"Run '{runId}' in '{Path}' was {who} while this process ran it (its lease lapsed: was this process paused?); this process stopped working on it so that steps do not run twice.", RunStoreError.LeaseLost, Path);
        }
    }

    private static async Task<OwnerRow?> ReadOwnerAsync(SqliteConnection connection, SqliteTransaction transaction, string runId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"SELECT status, {OwnerColumns} FROM runs WHERE id = $run", runId);
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadOwner(reader, 1, StatusText.ParseRunStatus(reader.GetString(0))) : null;
    }

    private static OwnerRow ReadOwner(SqliteDataReader reader, int first, StoredRunStatus status) => new(
        status,
        reader.IsDBNull(first) ? null : reader.GetString(first),
        reader.IsDBNull(first + 1) ? null : reader.GetString(first + 1),
        reader.IsDBNull(first + 2) ? null : reader.GetInt64(first + 2),
        reader.IsDBNull(first + 3) ? null : reader.GetString(first + 3),
        reader.IsDBNull(first + 4) ? null : reader.GetInt64(first + 4),
        reader.IsDBNull(first + 5) ? null : reader.GetInt64(first + 5));

    private OwnerState Evaluate(OwnerRow row, DateTimeOffset now) => row switch
    {
        { OwnerId: null } => OwnerState.Free,
        { OwnerId: var id } when id == _owner.Id => OwnerState.Mine,
        { LeaseExpiresAt: null } => OwnerState.Gone,
        { LeaseExpiresAt: var expires } when expires <= now.ToUnixTimeMilliseconds() => OwnerState.Gone,
        _ when _owner.IsCertainlyGone(row.OwnerId, row.OwnerMachine, row.OwnerPid) => OwnerState.Gone,
        _ => OwnerState.Live,
    };

    /// <summary>The status as read: a run stored as running whose owner is gone is interrupted.</summary>
    private StoredRunStatus DisplayStatus(OwnerRow row, DateTimeOffset now) =>
        row.Status == StoredRunStatus.Running && Evaluate(row, now) is OwnerState.Free or OwnerState.Gone ? StoredRunStatus.Interrupted : row.Status;

    private RunStoreException Owned(string runId, OwnerRow row, DateTimeOffset now, string advice)
    {
        var beat = row.HeartbeatAt is { } at ? Math.Max(0, (now.ToUnixTimeMilliseconds() - at) / 1000).ToString(CultureInfo.InvariantCulture) + " s ago" : "never";
        return new RunStoreException($"Run '{runId}' is live in process {row.OwnerPid} on host {row.OwnerHost} (last heartbeat {beat}); {advice}", RunStoreError.Owned, Path);
    }

    private static RunOwner ToOwner(OwnerRow row) => new(
        row.OwnerId!,
        row.OwnerHost ?? string.Empty,
        (int)(row.OwnerPid ?? 0),
        DateTimeOffset.FromUnixTimeMilliseconds(row.HeartbeatAt ?? 0),
        DateTimeOffset.FromUnixTimeMilliseconds(row.LeaseExpiresAt ?? 0));

    private void BindOwner(SqliteCommand command, DateTimeOffset now)
    {
        command.Parameters.AddWithValue("$owner", _owner.Id);
        command.Parameters.AddWithValue("$host", _owner.Host);
        command.Parameters.AddWithValue("$pid", _owner.ProcessId);
        command.Parameters.AddWithValue("$machine", _owner.Machine);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$expires", (now + _options.LeaseDuration).ToUnixTimeMilliseconds());
    }

    private enum OwnerState
    {
        /// <summary>Nobody holds the lease.</summary>
        Free,

        /// <summary>This store holds it.</summary>
        Mine,

        /// <summary>Another owner holds it and may be alive.</summary>
        Live,

        /// <summary>Another owner held it, but its lease lapsed or its process is certainly gone.</summary>
        Gone,
    }

    private sealed record OwnerRow(StoredRunStatus Status, string? OwnerId, string? OwnerHost, long? OwnerPid, string? OwnerMachine, long? HeartbeatAt, long? LeaseExpiresAt);
}
