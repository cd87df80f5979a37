// CA2007 flags the implicit DisposeAsync of 'await using'; every explicit await here already
// uses ConfigureAwait(false), and the disposals touch no synchronization context.
#pragma warning disable CA2007

using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// The run store in a SQLite file: WAL mode, one transaction per write, a versioned schema. Safe
/// for concurrent runs and processes sharing one file. A file that is not a Plansmith store, or
/// was written by a newer version, is refused with a clear error and left untouched.
/// </summary>
/// <remarks>
/// <para>
/// Runs have one owner. Creating or resuming a run takes a lease on it (owner id, host, process
/// id, heartbeat, expiry), which the owner renews while the run lasts and releases when it ends.
/// Every write about a run checks, in its transaction, that this store still owns it. Another
/// resume or a delete is refused while the lease is live; it may take the run over once the lease
/// has lapsed, or at once when the owner ran on this machine and its process is gone. The
/// takeover is one transaction comparing the old owner and expiry, so of two racing resumes one wins.
/// </para>
/// <para>
/// A run stored as <c>running</c> whose lease has lapsed (or whose owner is gone) is reported as
/// <c>interrupted</c>. That is computed when read, not written: reading needs no write access,
/// and the stored state stays what the owner last wrote.
/// </para>
/// <para>
/// Every SQLite or I/O failure leaves as a <see cref="RunStoreException"/> naming the file, the
/// cause and the fix.
/// </para>
/// </remarks>
public sealed class SqliteRunStore : IRunStore
{
    /// <summary>The schema version this build writes.</summary>
    public const int SchemaVersion = 3;

    private const string OwnerColumns = "owner_id, owner_host, owner_pid, owner_machine, heartbeat_at, lease_expires_at";

    private static readonly string[] Migrations =
    [
        // 1: the first schema.
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY, goal TEXT NOT NULL, provider TEXT NOT NULL, options_json TEXT NOT NULL,
            prompts_fingerprint TEXT NOT NULL, tools_fingerprint TEXT NOT NULL, tool_names TEXT NOT NULL,
            status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, answer TEXT NOT NULL DEFAULT '', error TEXT,
            model_calls INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE plans (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, version));
        CREATE TABLE events (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, seq));
        CREATE TABLE steps (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step_id TEXT NOT NULL, status TEXT NOT NULL, output TEXT,
            attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, ended_at TEXT, error TEXT, unverified INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, step_id));
        """,

        // 2: each step's model calls and tokens.
        """
        ALTER TABLE steps ADD COLUMN model_calls INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE steps ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE steps ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
        """,

        // 3: a run's owner and lease (times in Unix milliseconds). Runs stored by schema 2 have
        // no owner: one left 'running' reads as interrupted.
        """
        ALTER TABLE runs ADD COLUMN owner_id TEXT;
        ALTER TABLE runs ADD COLUMN owner_host TEXT;
        ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
        ALTER TABLE runs ADD COLUMN owner_machine TEXT;
        ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
        ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;
        """,
    ];

    private readonly string _createConnectionString;
    private readonly string _connectionString;
    private readonly int _busyMilliseconds;
    private readonly SqliteRunStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly RunOwnerIdentity _owner = RunOwnerIdentity.Create();
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);
    private long _maxPages;

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    /// <param name="path">The SQLite file.</param>
    /// <param name="busyTimeout">How long to wait for another writer before calling the store locked; 30 seconds when null.</param>
    /// <exception cref="RunStoreException">The file is not a usable store; it is left as it was.</exception>
    public SqliteRunStore(string path, TimeSpan? busyTimeout = null)
        : this(path, new SqliteRunStoreOptions { BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(30) })
    {
    }

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    /// <param name="path">The SQLite file.</param>
    /// <param name="options">Busy timeout, lease duration and size limit; validated here.</param>
    /// <param name="timeProvider">The clock for leases and timestamps; the system clock when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="RunStoreException">The file is not a usable store; it is left as it was.</exception>
    public SqliteRunStore(string path, SqliteRunStoreOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _busyMilliseconds = (int)options.BusyTimeout.TotalMilliseconds;
        Path = System.IO.Path.GetFullPath(path);
        var builder = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = Math.Max(1, _busyMilliseconds / 1000) };
        _createConnectionString = builder.ToString();

        // Once it exists the file is never created again: a store deleted while in use fails
        // loudly instead of starting afresh, empty, under the same name.
        builder.Mode = SqliteOpenMode.ReadWrite;
        _connectionString = builder.ToString();
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RunStoreException($"The run store '{Path}' could not be created: its folder cannot be made ({ex.Message}). Pass --store PATH in a writable folder, or --no-store.", ex is UnauthorizedAccessException ? RunStoreError.ReadOnly : RunStoreError.Missing, Path, ex);
        }

        Migrate();
    }

    /// <summary>The store's file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public TimeSpan LeaseDuration => _options.LeaseDuration;

    /// <summary>The default store: <c>runs.db</c> under the user's local data folder.</summary>
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "plansmith", "runs.db");

    /// <inheritdoc />
    public Task<string> CreateRunAsync(RunInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        var now = _time.GetUtcNow();
        var id = now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
        return WriteAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(
                connection,
                transaction,
                $"""
                INSERT INTO runs (id, goal, provider, options_json, prompts_fingerprint, tools_fingerprint, tool_names, status, started_at, {OwnerColumns})
                VALUES ($id, $goal, $provider, $options, $prompts, $tools, $names, 'running', $at, $owner, $host, $pid, $machine, $now, $expires)
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
            if (row.Status is "completed" or "answered")
            {
                throw new RunStoreException($"Run '{runId}' already {row.Status}; there is nothing to resume.", RunStoreError.AlreadyEnded, Path);
            }

            if (row.Status is "rejected")
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
                UPDATE runs SET status = 'running', owner_id = $owner, owner_host = $host, owner_pid = $pid, owner_machine = $machine, heartbeat_at = $now, lease_expires_at = $expires
                WHERE id = $run AND owner_id IS $oldOwner AND lease_expires_at IS $oldExpires
                """,
                c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
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

            var plan = executionEvent switch
            {
                PlanCreated e => e.Plan,
                PlanReflected { Approved: false } e => e.Plan,
                PlanApproved e => e.Plan,
                Replanned e => e.Plan,
                _ => null,
            };
            if (plan is not null)
            {
                await ExecuteAsync(connection, transaction, "INSERT INTO plans (run_id, version, json) VALUES ($run, (SELECT COALESCE(MAX(version), 0) + 1 FROM plans WHERE run_id = $run), $json)", c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
                    c.Parameters.AddWithValue("$json", PlanJson.Serialize(plan, indented: false));
                }, cancellationToken).ConfigureAwait(false);
            }

            (string? stepId, string? status, string? output, string? error, int? attempts) = executionEvent switch
            {
                StepStarted e => ((string?)e.StepId, (string?)"running", (string?)null, (string?)null, (int?)null),
                StepCompleted e => (e.StepId, "completed", e.Output, null, e.Attempts),
                StepFailed e => (e.StepId, "failed", null, e.Error, e.Attempts),
                StepSkipped e => (e.StepId, "skipped", null, e.Reason, (int?)null),
                _ => ((string?)null, (string?)null, (string?)null, (string?)null, (int?)null),
            };
            if (stepId is not null)
            {
                await ExecuteAsync(
                    connection,
                    transaction,
                    """
                    INSERT INTO steps (run_id, step_id, status, output, attempts, started_at, ended_at, error)
                    VALUES ($run, $step, $status, $output, COALESCE($attempts, 0), CASE WHEN $status = 'running' THEN $at END, CASE WHEN $status <> 'running' THEN $at END, $error)
                    ON CONFLICT (run_id, step_id) DO UPDATE SET
                        status = $status,
                        output = COALESCE($output, CASE WHEN $status = 'completed' THEN output END),
                        attempts = COALESCE($attempts, attempts),
                        started_at = CASE WHEN $status = 'running' THEN $at ELSE started_at END,
                        ended_at = CASE WHEN $status <> 'running' THEN $at ELSE NULL END,
                        error = $error,
                        model_calls = CASE WHEN $status = 'completed' THEN $calls ELSE model_calls END,
                        input_tokens = CASE WHEN $status = 'completed' THEN $in ELSE input_tokens END,
                        output_tokens = CASE WHEN $status = 'completed' THEN $out ELSE output_tokens END
                    """,
                    c =>
                    {
                        c.Parameters.AddWithValue("$run", runId);
                        c.Parameters.AddWithValue("$step", stepId);
                        c.Parameters.AddWithValue("$status", status);
                        c.Parameters.AddWithValue("$output", (object?)output ?? DBNull.Value);
                        c.Parameters.AddWithValue("$attempts", (object?)attempts ?? DBNull.Value);
                        c.Parameters.AddWithValue("$at", Time(executionEvent.Timestamp));
                        c.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
                        var usage = executionEvent is StepCompleted done ? done.Usage : default;
                        c.Parameters.AddWithValue("$calls", usage.ModelCalls);
                        c.Parameters.AddWithValue("$in", usage.InputTokens);
                        c.Parameters.AddWithValue("$out", usage.OutputTokens);
                    },
                    cancellationToken).ConfigureAwait(false);
            }

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
            await ExecuteAsync(
                connection,
                transaction,
                $"UPDATE steps SET unverified = 1 WHERE run_id = $run AND step_id IN ({string.Join(',', stepIds.Select((_, i) => "$s" + i.ToString(CultureInfo.InvariantCulture)))})",
                c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
                    var i = 0;
                    foreach (var id in stepIds)
                    {
                        c.Parameters.AddWithValue("$s" + (i++).ToString(CultureInfo.InvariantCulture), id);
                    }
                },
                cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task CompleteRunAsync(string runId, AgentRunStatus status, string answer, string? failure, TokenUsage usage, CancellationToken cancellationToken = default) =>
        WriteAsync(async (connection, transaction) =>
        {
            await EnsureOwnedAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                connection,
                transaction,
                """
                UPDATE runs SET status = $status, answer = $answer, error = $error, ended_at = $at,
                    model_calls = model_calls + $calls, input_tokens = input_tokens + $in, output_tokens = output_tokens + $out
                WHERE id = $run AND owner_id = $owner
                """,
                c =>
                {
                    c.Parameters.AddWithValue("$run", runId);
                    c.Parameters.AddWithValue("$owner", _owner.Id);
                    c.Parameters.AddWithValue("$status", status.ToString().ToLowerInvariant());
                    c.Parameters.AddWithValue("$answer", answer);
                    c.Parameters.AddWithValue("$error", (object?)failure ?? DBNull.Value);
                    c.Parameters.AddWithValue("$at", Time(_time.GetUtcNow()));
                    c.Parameters.AddWithValue("$calls", usage.ModelCalls);
                    c.Parameters.AddWithValue("$in", usage.InputTokens);
                    c.Parameters.AddWithValue("$out", usage.OutputTokens);
                },
                cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<StoredRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        ReadAsync(async connection =>
        {
            var now = _time.GetUtcNow();
            var runs = await ReadRowsAsync(connection, $"SELECT goal, provider, options_json, prompts_fingerprint, tools_fingerprint, tool_names, status, started_at, ended_at, answer, error, model_calls, input_tokens, output_tokens, {OwnerColumns} FROM runs WHERE id = $run", runId, reader =>
            {
                var owner = ReadOwner(reader, 14, reader.GetString(6));
                return new StoredRun
                {
                    Id = runId,
                    Info = new RunInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5).Split('\n', StringSplitOptions.RemoveEmptyEntries)),
                    Status = DisplayStatus(owner, now),
                    StartedAt = ParseTime(reader.GetString(7)),
                    EndedAt = reader.IsDBNull(8) ? null : ParseTime(reader.GetString(8)),
                    Answer = reader.GetString(9),
                    Error = reader.IsDBNull(10) ? null : reader.GetString(10),
                    Usage = new TokenUsage(reader.GetInt32(11), reader.GetInt64(12), reader.GetInt64(13)),
                    Owner = Evaluate(owner, now) is OwnerState.Live or OwnerState.Mine && owner.OwnerId is not null ? ToOwner(owner) : null,
                };
            }, cancellationToken).ConfigureAwait(false);
            if (runs.Count == 0)
            {
                return null;
            }

            var run = runs[0];
            var plans = await ReadRowsAsync(connection, "SELECT json FROM plans WHERE run_id = $run ORDER BY version", runId, reader => EventJson.ReadPlan(reader.GetString(0)) with { Goal = run.Info.Goal }, cancellationToken).ConfigureAwait(false);
            var steps = await ReadRowsAsync(connection, "SELECT step_id, status, output, attempts, started_at, ended_at, error, unverified, model_calls, input_tokens, output_tokens FROM steps WHERE run_id = $run", runId, reader => new StoredStep(
                reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)), reader.IsDBNull(5) ? null : ParseTime(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7) != 0)
            {
                Usage = new TokenUsage(reader.GetInt32(8), reader.GetInt64(9), reader.GetInt64(10)),
            }, cancellationToken).ConfigureAwait(false);
            var events = await ReadRowsAsync(connection, "SELECT seq, type, at, json FROM events WHERE run_id = $run ORDER BY seq", runId, reader => new StoredEvent(reader.GetInt64(0), reader.GetString(1), ParseTime(reader.GetString(2)), reader.GetString(3)), cancellationToken).ConfigureAwait(false);
            return run with { PlanVersions = plans, Steps = steps, Events = events };
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
                var owner = ReadOwner(reader, 6, reader.GetString(2));
                runs.Add(new RunSummary(reader.GetString(0), reader.GetString(1), DisplayStatus(owner, now), ParseTime(reader.GetString(3)), reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)), reader.GetInt64(5)));
            }

            return runs;
        }, cancellationToken);

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

    private void Migrate()
    {
        try
        {
            using var connection = new SqliteConnection(_createConnectionString);
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = $"PRAGMA busy_timeout = {_busyMilliseconds}; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;";
                pragma.ExecuteNonQuery();
            }

            long version;
            using (var read = connection.CreateCommand())
            {
                read.CommandText = "PRAGMA user_version";
                version = (long)read.ExecuteScalar()!;
            }

            if (version > SchemaVersion)
            {
                throw new RunStoreException($"The run store '{Path}' was written by a newer Plansmith (schema {version}; this one knows {SchemaVersion}). Upgrade Plansmith, or use another file with --store.", RunStoreError.NewerSchema, Path);
            }

            if (version == 0)
            {
                using var tables = connection.CreateCommand();
                tables.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'";
                if ((long)tables.ExecuteScalar()! > 0)
                {
                    throw new RunStoreException($"'{Path}' is a SQLite database but not a Plansmith run store; it was left untouched. Use another file with --store.", RunStoreError.NotAStore, Path);
                }
            }

            for (var next = (int)version; next < SchemaVersion; next++)
            {
                using var transaction = connection.BeginTransaction();
                using var migrate = connection.CreateCommand();
                migrate.Transaction = transaction;
                migrate.CommandText = Migrations[next] + $"; PRAGMA user_version = {next + 1};";
                migrate.ExecuteNonQuery();
                transaction.Commit();
            }

            if (_options.MaxSizeBytes is { } max)
            {
                using var size = connection.CreateCommand();
                size.CommandText = "PRAGMA page_size";
                _maxPages = Math.Max(1, max / (long)size.ExecuteScalar()!);
            }
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11)
        {
            throw new RunStoreException($"'{Path}' is not a Plansmith run store or is damaged ({ex.Message}); it was left untouched. Move it away or use another file with --store.", RunStoreError.NotAStore, Path, ex);
        }
        catch (SqliteException ex)
        {
            throw Failure(ex, "opened");
        }
    }

    private async Task<SqliteConnection> OpenAsync(bool write, CancellationToken cancellationToken)
    {
        // A pooled connection keeps writing to a file deleted under it (SQLite does not notice in
        // WAL mode): check the name still leads to a file before every write.
        if (write && !File.Exists(Path))
        {
            throw new RunStoreException($"The run store '{Path}' could not be written: the file is gone (deleted or moved while in use). Put it back, or pass --store PATH for a new one, or --no-store.", RunStoreError.Missing, Path);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {_busyMilliseconds};" + (_maxPages > 0 ? $" PRAGMA max_page_count = {_maxPages};" : string.Empty);
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One write transaction; every SQLite or I/O failure becomes a <see cref="RunStoreException"/>.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(write: true, cancellationToken).ConfigureAwait(false);

            // BEGIN IMMEDIATE: the write lock is taken before anything is read, so a read-then-write
            // (a takeover, a delete) cannot interleave with another writer's.
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await write(connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (SqliteException ex)
        {
            throw Failure(ex, "written");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RunStoreException($"The run store '{Path}' could not be written: {ex.Message}. Check the disk and the file's permissions, or pass --store PATH / --no-store.", RunStoreError.Io, Path, ex);
        }
    }

    /// <summary>One read; SQLite failures and unreadable contents become a <see cref="RunStoreException"/>.</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(write: false, cancellationToken).ConfigureAwait(false);
            return await read(connection).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Failure(ex, "read");
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException or JsonException or Plans.PlanRejectedException or ArgumentException or IndexOutOfRangeException)
        {
            throw new RunStoreException($"The run store '{Path}' could not be read: it holds data this Plansmith cannot read, so it is damaged ({ex.Message}). {DamagedFix}", RunStoreError.Damaged, Path, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RunStoreException($"The run store '{Path}' could not be read: {ex.Message}. Check the disk and the file's permissions, or pass --store PATH.", RunStoreError.Io, Path, ex);
        }
    }

    private string DamagedFix => $"Move it away (keep it: 'sqlite3 {Path} .recover' may save its runs), then pass --store PATH for a new store, or --no-store.";

    /// <summary>A SQLite failure as a typed error naming the file, the cause and the fix.</summary>
    private RunStoreException Failure(SqliteException ex, string verb)
    {
        var readOnly = ex.SqliteErrorCode is 8 or 10 or 14 && File.Exists(Path) && !CanWrite();
        var (error, cause, fix) = ex.SqliteErrorCode switch
        {
            _ when readOnly => (RunStoreError.ReadOnly, "the file or its folder is read-only for this user (SQLITE_READONLY)", "Make both writable for this user, or pass --store PATH / --no-store."),
            13 when _maxPages > 0 => (RunStoreError.Full, $"disk full or the store's size limit of {_options.MaxSizeBytes} bytes reached (SQLITE_FULL)", "Free space or raise Plansmith:RunStore:MaxSizeBytes, or pass --store PATH / --no-store."),
            13 => (RunStoreError.Full, "disk full (SQLITE_FULL)", "Free space or pass --store PATH / --no-store."),
            8 => (RunStoreError.ReadOnly, "the file or its folder is read-only for this user (SQLITE_READONLY)", "Make both writable for this user, or pass --store PATH / --no-store."),
            3 or 23 => (RunStoreError.ReadOnly, "permission denied (SQLITE_PERM)", "Make the file and its folder writable for this user, or pass --store PATH / --no-store."),
            11 or 26 => (RunStoreError.Damaged, "it is damaged (SQLITE_CORRUPT)", DamagedFix),
            5 or 6 => (RunStoreError.Locked, "another process kept it locked (SQLITE_BUSY)", "Wait for that process, raise Plansmith:RunStore:BusyTimeout, or pass --store PATH."),
            14 => (RunStoreError.Missing, "it cannot be opened (SQLITE_CANTOPEN): the file or its folder is missing (deleted or moved while in use?) or not accessible", "Put it back, or pass --store PATH for a new one, or --no-store."),
            10 => (RunStoreError.Io, "the disk reported an I/O error (SQLITE_IOERR)", "Check the disk, or pass --store PATH / --no-store."),
            _ => (RunStoreError.Failed, $"SQLite error {ex.SqliteErrorCode}", "Pass --store PATH for another store, or --no-store."),
        };
        return new RunStoreException($"The run store '{Path}' could not be {verb}: {cause}. {fix} ({ex.Message})", error, Path, ex);
    }

    /// <summary>Whether this user may write the file and create files beside it (SQLite's WAL and shared-memory files).</summary>
    private bool CanWrite()
    {
        try
        {
            using (new FileStream(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
            {
            }

            var probe = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, $".plansmith-write-probe-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

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
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadOwner(reader, 1, reader.GetString(0)) : null;
    }

    private static OwnerRow ReadOwner(SqliteDataReader reader, int first, string status) => new(
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

    private string DisplayStatus(OwnerRow row, DateTimeOffset now) =>
        row.Status == "running" && Evaluate(row, now) is OwnerState.Free or OwnerState.Gone ? "interrupted" : row.Status;

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

    private static async Task<List<T>> ReadRowsAsync<T>(SqliteConnection connection, string sql, string runId, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        bind(command);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string runId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$run", runId);
        return command;
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

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

    private sealed record OwnerRow(string Status, string? OwnerId, string? OwnerHost, long? OwnerPid, string? OwnerMachine, long? HeartbeatAt, long? LeaseExpiresAt);
}
