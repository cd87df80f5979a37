// CA2007 flags the implicit DisposeAsync of 'await using'; every explicit await here already
// uses ConfigureAwait(false), and the disposals touch no synchronization context.
#pragma warning disable CA2007

using System.Globalization;
using Microsoft.Data.Sqlite;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// The run store in a SQLite file: WAL mode, one transaction per write, a versioned schema. Safe
/// for concurrent runs and processes sharing one file. A file that is not a Plansmith store, or
/// was written by a newer version, is refused with a clear error and left untouched.
/// </summary>
public sealed class SqliteRunStore : IRunStore
{
    /// <summary>The schema version this build writes.</summary>
    public const int SchemaVersion = 2;

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
    ];

    private readonly string _connectionString;
    private readonly int _busyMilliseconds;

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    /// <param name="path">The SQLite file.</param>
    /// <param name="busyTimeout">How long to wait for another writer before calling the store locked; 30 seconds when null.</param>
    /// <exception cref="RunStoreException">The file is not a usable store; it is left as it was.</exception>
    public SqliteRunStore(string path, TimeSpan? busyTimeout = null)
    {
        _busyMilliseconds = (int)(busyTimeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = Math.Max(1, _busyMilliseconds / 1000) }.ToString();
        Migrate();
    }

    /// <summary>The store's file.</summary>
    public string Path { get; }

    /// <summary>The default store: <c>runs.db</c> under the user's local data folder.</summary>
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "plansmith", "runs.db");

    /// <inheritdoc />
    public async Task<string> CreateRunAsync(RunInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        var id = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
        await WriteAsync(
            """
            INSERT INTO runs (id, goal, provider, options_json, prompts_fingerprint, tools_fingerprint, tool_names, status, started_at)
            VALUES ($id, $goal, $provider, $options, $prompts, $tools, $names, 'running', $at)
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
                c.Parameters.AddWithValue("$at", Time(DateTimeOffset.UtcNow));
            },
            cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <inheritdoc />
    public async Task AppendEventAsync(string runId, ExecutionEvent executionEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task MarkUnverifiedAsync(string runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken = default) =>
        stepIds.Count == 0
            ? Task.CompletedTask
            : WriteAsync(
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
                cancellationToken);

    /// <inheritdoc />
    public Task CompleteRunAsync(string runId, AgentRunStatus status, string answer, string? failure, TokenUsage usage, CancellationToken cancellationToken = default) =>
        WriteAsync(
            """
            UPDATE runs SET status = $status, answer = $answer, error = $error, ended_at = $at,
                model_calls = model_calls + $calls, input_tokens = input_tokens + $in, output_tokens = output_tokens + $out
            WHERE id = $run
            """,
            c =>
            {
                c.Parameters.AddWithValue("$run", runId);
                c.Parameters.AddWithValue("$status", status.ToString().ToLowerInvariant());
                c.Parameters.AddWithValue("$answer", answer);
                c.Parameters.AddWithValue("$error", (object?)failure ?? DBNull.Value);
                c.Parameters.AddWithValue("$at", Time(DateTimeOffset.UtcNow));
                c.Parameters.AddWithValue("$calls", usage.ModelCalls);
                c.Parameters.AddWithValue("$in", usage.InputTokens);
                c.Parameters.AddWithValue("$out", usage.OutputTokens);
            },
            cancellationToken);

    /// <inheritdoc />
    public async Task<StoredRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var runs = await ReadAsync(connection, "SELECT goal, provider, options_json, prompts_fingerprint, tools_fingerprint, tool_names, status, started_at, ended_at, answer, error, model_calls, input_tokens, output_tokens FROM runs WHERE id = $run", runId, reader => new StoredRun
            {
                Id = runId,
                Info = new RunInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5).Split('\n', StringSplitOptions.RemoveEmptyEntries)),
                Status = reader.GetString(6),
                StartedAt = ParseTime(reader.GetString(7)),
                EndedAt = reader.IsDBNull(8) ? null : ParseTime(reader.GetString(8)),
                Answer = reader.GetString(9),
                Error = reader.IsDBNull(10) ? null : reader.GetString(10),
                Usage = new TokenUsage(reader.GetInt32(11), reader.GetInt64(12), reader.GetInt64(13)),
            }, cancellationToken).ConfigureAwait(false);
            if (runs.Count == 0)
            {
                return null;
            }

            var run = runs[0];
            var plans = await ReadAsync(connection, "SELECT json FROM plans WHERE run_id = $run ORDER BY version", runId, reader => EventJson.ReadPlan(reader.GetString(0)) with { Goal = run.Info.Goal }, cancellationToken).ConfigureAwait(false);
            var steps = await ReadAsync(connection, "SELECT step_id, status, output, attempts, started_at, ended_at, error, unverified, model_calls, input_tokens, output_tokens FROM steps WHERE run_id = $run", runId, reader => new StoredStep(
                reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)), reader.IsDBNull(5) ? null : ParseTime(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7) != 0)
            {
                Usage = new TokenUsage(reader.GetInt32(8), reader.GetInt64(9), reader.GetInt64(10)),
            }, cancellationToken).ConfigureAwait(false);
            var events = await ReadAsync(connection, "SELECT seq, type, at, json FROM events WHERE run_id = $run ORDER BY seq", runId, reader => new StoredEvent(reader.GetInt64(0), reader.GetString(1), ParseTime(reader.GetString(2)), reader.GetString(3)), cancellationToken).ConfigureAwait(false);
            return run with { PlanVersions = plans, Steps = steps, Events = events };
        }
    }

    private static async Task<List<T>> ReadAsync<T>(SqliteConnection connection, string sql, string runId, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        var command = Command(connection, sql, runId);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var rows = new List<T>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(read(reader));
                }

                return rows;
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunSummary>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, goal, status, started_at, ended_at, input_tokens + output_tokens FROM runs ORDER BY started_at DESC, id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var runs = new List<RunSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RunSummary(reader.GetString(0), reader.GetString(1), reader.GetString(2), ParseTime(reader.GetString(3)), reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)), reader.GetInt64(5)));
        }

        return runs;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, "DELETE FROM runs WHERE id = $run", runId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    private void Migrate()
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
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
                throw new RunStoreException($"The run store '{Path}' was written by a newer Plansmith (schema {version}; this one knows {SchemaVersion}). Upgrade Plansmith, or use another file with --store.");
            }

            if (version == 0)
            {
                using var tables = connection.CreateCommand();
                tables.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'";
                if ((long)tables.ExecuteScalar()! > 0)
                {
                    throw new RunStoreException($"'{Path}' is a SQLite database but not a Plansmith run store; it was left untouched. Use another file with --store.");
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
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11)
        {
            throw new RunStoreException($"'{Path}' is not a Plansmith run store or is damaged ({ex.Message}); it was left untouched. Move it away or use another file with --store.", ex);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6)
        {
            throw new RunStoreException($"The run store '{Path}' is locked by another process ({ex.Message}). Wait for it, or use another file with --store.", ex);
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {_busyMilliseconds};";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private async Task WriteAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, sql, bind, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        bind(command);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
}
