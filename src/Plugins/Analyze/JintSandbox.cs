using System.Globalization;
using System.Text.Json;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// JavaScript in Jint, out of process: each run starts a small worker process
/// (<c>plansmith-sandbox/Plansmith.Sandbox.dll</c>, next to this assembly) on the .NET runtime this
/// process uses. On Linux with bubblewrap the worker runs in the same jail as Python (no network,
/// read-only runtime, size-limited tmpfs, seccomp, rlimits); elsewhere it runs unjailed but still in
/// its own process. Either way the GC heap hard limit counts the script's live memory, and the host
/// kills the worker with its process tree at the wall-time limit, so nothing a script does (deeply
/// nested values that overflow the stack in a built-in, say) can end or stall the host.
/// Jint itself allows no CLR access and has no file or network API. <c>console.log</c> (and
/// <c>print</c>) write to standard output; objects are printed as JSON.
/// </summary>
public sealed class JintSandbox : ICodeSandbox
{
    internal const string WorkerFolderName = "plansmith-sandbox";
    private const string WorkerAssembly = "Plansmith.Sandbox.dll";
    private const string WorkerInJail = "/run/plansmith/worker";

    /// <summary>Managed heap the runtime and Jint need on top of the script's memory.</summary>
    private const long RuntimeHeapBytes = 16L << 20;

    /// <summary>Tasks the worker may have: the runtime's own threads (main, finalizer, JIT, signals, GC) and the script's.</summary>
    private const int WorkerTasks = 32;

    /// <summary>Time the worker gets on top of the script's limit to start and to report; the wall limit is the sum.</summary>
    private static readonly TimeSpan StartupGrace = TimeSpan.FromSeconds(2);

    private readonly Jail _jail;
    private readonly Lazy<Setup> _setup;
    private readonly string? _workerDirectory;

    /// <summary>Creates the sandbox.</summary>
    /// <param name="options">Where bubblewrap and util-linux are (shared with the Python sandbox); defaults when null.</param>
    public JintSandbox(BubblewrapOptions? options = null)
        : this(options, workerDirectory: null)
    {
    }

    internal JintSandbox(BubblewrapOptions? options, string? workerDirectory)
    {
        _jail = new Jail(options ?? new BubblewrapOptions());
        _workerDirectory = workerDirectory;
        _setup = new Lazy<Setup>(Probe);
    }

    /// <inheritdoc />
    public string Language => "javascript";

    /// <inheritdoc />
    public string? Unavailable => _setup.Value.Unavailable;

    /// <summary>How runs are isolated here: in the jail, or why not.</summary>
    internal string Isolation => _setup.Value.Isolation;

    /// <summary>Whether runs go into the bubblewrap jail.</summary>
    internal bool Jailed => _setup.Value.Jailed;

    /// <inheritdoc />
    public async Task<CodeRunResult> RunAsync(string code, SandboxLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(limits);
        var setup = _setup.Value;
        if (setup.Unavailable is { } why)
        {
            throw new SandboxUnavailableException(why);
        }

        using var folder = SandboxWorkFolder.Create(_jail.WorkRoot);
        var heap = limits.MemoryBytes + RuntimeHeapBytes;
        var command = new JailCommand
        {
            Program = setup.Dotnet!,
            DiskBytes = limits.MaxDiskBytes,
            CpuSeconds = (long)Math.Ceiling((limits.Timeout + StartupGrace).TotalSeconds) + 1,

            // A backstop only: the runtime reserves address space well beyond its heap (measured:
            // a 256 MiB heap needs about 800 MiB to start and 1 GiB to fail cleanly at the heap limit).
            AddressSpaceBytes = (2 * heap) + (1L << 30),
            Tasks = WorkerTasks,
            FileSizeBytes = limits.MaxFileBytes,
        };
        command.Arguments.Add(setup.Jailed ? $"{WorkerInJail}/{WorkerAssembly}" : Path.Combine(setup.WorkerDirectory, WorkerAssembly));
        foreach (var (name, value) in new[]
        {
            ("--timeout-ms", (long)limits.Timeout.TotalMilliseconds),
            ("--max-statements", limits.MaxStatements),
            ("--max-recursion", limits.MaxRecursion),
            ("--max-output", limits.MaxOutputChars),
            ("--memory-mib", limits.MemoryBytes >> 20),
        })
        {
            command.Arguments.Add(name);
            command.Arguments.Add(value.ToString(CultureInfo.InvariantCulture));
        }

        // The live-memory limit: the GC fails an allocation that would take the heap past it.
        command.Environment["DOTNET_GCHeapHardLimit"] = "0x" + heap.ToString("x", CultureInfo.InvariantCulture);
        command.Environment["DOTNET_EnableDiagnostics"] = "0";

        // W^X maps code through a memfd the size of the code heap, which RLIMIT_FSIZE refuses; it also costs start-up time.
        command.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        command.Environment["DOTNET_TieredPGO"] = "0";
        command.Environment["HOME"] = setup.Jailed ? JailCommand.WorkPath : folder.Path;
        command.Environment["TMPDIR"] = setup.Jailed ? "/tmp" : folder.Path;

        System.Diagnostics.ProcessStartInfo start;
        if (setup.Jailed)
        {
            foreach (var path in DotnetHost.RuntimePaths(setup.Dotnet!))
            {
                command.ReadOnlyBinds.Add((path, path));
            }

            command.ReadOnlyBinds.Add((setup.WorkerDirectory, WorkerInJail));
            var filter = SeccompFilter.ForCurrentArchitecture() is { } bpf ? folder.Write("seccomp.bpf", bpf) : null;
            var user = _jail.PickUserId();
            folder.GiveTo(user);
            start = command.BuildJailed(_jail, filter, user);
        }
        else
        {
            start = command.BuildUnjailed(OperatingSystem.IsLinux() && _jail.Prlimit.Length > 0 ? _jail.Prlimit : null, folder.Path);
        }

        var frames = new WorkerFrames(limits.MaxOutputChars);
        var raw = new BoundedText(16_000);
        var exit = await SandboxProcess.RunAsync(start, code, limits.Timeout + StartupGrace, frames.ReadAsync, r => SandboxProcess.DrainHeadAsync(r, raw, 16_000), cancellationToken).ConfigureAwait(false);
        return frames.ToResult(Language, exit, raw.ToString(), limits);
    }

    private Setup Probe()
    {
        var dotnet = DotnetHost.Find();
        if (dotnet is null)
        {
            return Setup.Missing("The JavaScript sandbox runs its worker on .NET, and no 'dotnet' host was found (not this process, DOTNET_HOST_PATH, next to the runtime, nor on the PATH). Install the .NET runtime or put 'dotnet' on the PATH.");
        }

        var worker = _workerDirectory ?? FindWorkerDirectory();
        if (worker is null || !File.Exists(Path.Combine(worker, WorkerAssembly)))
        {
            return Setup.Missing($"The JavaScript sandbox's worker ({WorkerFolderName}/{WorkerAssembly}) is missing next to Plansmith.Plugins.dll. Rebuild or reinstall Plansmith; the Plansmith.Plugins package copies it to the output.");
        }

        if (_jail.Unavailable is { } noJail)
        {
            return new Setup(null, dotnet, worker, false, $"unjailed worker process: {noJail}");
        }

        if (_jail.IsRoot)
        {
            // The code runs as an unprivileged user id, which must be able to read the runtime and the worker.
            if (DotnetHost.RuntimePaths(dotnet).FirstOrDefault(p => !OthersCanRead(p)) is { } hidden)
            {
                return new Setup(null, dotnet, worker, false, $"unjailed worker process: the sandbox user cannot read the .NET runtime at '{hidden}'; install .NET where every user can read it");
            }

            if (!OthersCanRead(worker))
            {
                worker = SharedCopy(worker);
            }
        }

        return new Setup(null, dotnet, worker, true, "bubblewrap jail");
    }

    private static string? FindWorkerDirectory()
    {
        foreach (var baseDirectory in new[] { Path.GetDirectoryName(typeof(JintSandbox).Assembly.Location), AppContext.BaseDirectory })
        {
            if (!string.IsNullOrEmpty(baseDirectory) && File.Exists(Path.Combine(baseDirectory, WorkerFolderName, WorkerAssembly)))
            {
                return Jail.RealPath(Path.Combine(baseDirectory, WorkerFolderName));
            }
        }

        return null;
    }

    /// <summary>Whether every folder on the way to <paramref name="path"/> lets other users through, and it lets them read.</summary>
    private static bool OthersCanRead(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        for (var current = Path.GetFullPath(path); !string.IsNullOrEmpty(current); current = Path.GetDirectoryName(current))
        {
            var mode = File.GetUnixFileMode(current);
            var needed = Directory.Exists(current) ? UnixFileMode.OtherExecute | (current == path ? UnixFileMode.OtherRead : 0) : UnixFileMode.OtherRead;
            if ((mode & needed) != needed)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A copy of the worker that the sandbox user can read, made once per version in the temp folder.</summary>
    private string SharedCopy(string worker)
    {
        if (OperatingSystem.IsWindows())
        {
            return worker;
        }

        var stamp = File.GetLastWriteTimeUtc(Path.Combine(worker, WorkerAssembly)).Ticks.ToString("x", CultureInfo.InvariantCulture);
        var copy = Path.Combine(_jail.WorkRoot, $"plansmith-jsworker-{stamp}");
        if (!File.Exists(Path.Combine(copy, WorkerAssembly)))
        {
            var staging = copy + "-" + Guid.NewGuid().ToString("N");
            var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            Directory.CreateDirectory(staging, readable);
            foreach (var file in Directory.EnumerateFiles(worker))
            {
                var target = Path.Combine(staging, Path.GetFileName(file));
                File.Copy(file, target);
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            try
            {
                Directory.Move(staging, copy);
            }
            catch (IOException)
            {
                // Another process made the same copy first.
                Directory.Delete(staging, recursive: true);
            }
        }

        return copy;
    }

    private sealed record Setup(string? Unavailable, string? Dotnet, string WorkerDirectory, bool Jailed, string Isolation)
    {
        public static Setup Missing(string why) => new(why, null, string.Empty, false, why);
    }

    /// <summary>Reads the worker's protocol (see Plansmith.Sandbox) and turns the run into a result.</summary>
    private sealed class WorkerFrames
    {
        private readonly BoundedText _stdout;
        private readonly BoundedText _stderr;
        private bool _finished;
        private int _exitCode;
        private string? _limit;
        private string _message = string.Empty;

        public WorkerFrames(int maxOutputChars)
        {
            _stdout = new BoundedText(maxOutputChars);
            _stderr = new BoundedText(maxOutputChars);
        }

        public async Task ReadAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                try
                {
                    using var frame = JsonDocument.Parse(line);
                    var root = frame.RootElement;
                    if (root.TryGetProperty("o", out var output))
                    {
                        _stdout.Append(output.GetString());
                    }
                    else if (root.TryGetProperty("e", out var error))
                    {
                        _stderr.Append(error.GetString());
                    }
                    else if (root.TryGetProperty("x", out var exitCode))
                    {
                        _exitCode = exitCode.GetInt32();
                        _limit = root.GetProperty("limit").GetString();
                        _message = root.GetProperty("message").GetString() ?? string.Empty;
                        if (root.GetProperty("cutOut").GetBoolean())
                        {
                            _stdout.MarkTruncated();
                        }

                        if (root.GetProperty("cutErr").GetBoolean())
                        {
                            _stderr.MarkTruncated();
                        }

                        _finished = true;
                    }
                }
                catch (JsonException)
                {
                    // A line cut short by the worker's death; what came before it stands.
                }
            }
        }

        public CodeRunResult ToResult(string language, SandboxExit exit, string workerErrors, SandboxLimits limits)
        {
            SandboxLimit? limit;
            int exitCode;
            string message;
            if (_finished && !exit.TimedOut)
            {
                (exitCode, message) = (_exitCode, _message);
                limit = _limit is null ? null : Enum.Parse<SandboxLimit>(_limit);
            }
            else
            {
                (limit, exitCode, message) = Crash(exit, workerErrors, limits);
            }

            if (message.Length > 0)
            {
                _stderr.Append((_stderr.ToString().Length > 0 && !_stderr.ToString().EndsWith('\n') ? "\n" : string.Empty) + message);
            }

            if (limit is null && (_stdout.Truncated || _stderr.Truncated))
            {
                limit = SandboxLimit.Output;
            }

            return new CodeRunResult(language, _stdout.ToString(), _stderr.ToString(), exitCode, exit.Elapsed, limit);
        }

        /// <summary>The worker ended without its last line: it was killed or it crashed. Say which, and why.</summary>
        private static (SandboxLimit? Limit, int ExitCode, string Message) Crash(SandboxExit exit, string workerErrors, SandboxLimits limits)
        {
            var mib = limits.MemoryBytes / (1 << 20);
            if (exit.TimedOut)
            {
                return (SandboxLimit.Time, 124, $"Stopped: the script ran longer than {limits.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s and the sandbox was killed.");
            }

            if (workerErrors.Contains("Stack overflow", StringComparison.Ordinal))
            {
                return (SandboxLimit.Recursion, exit.ExitCode, "Stopped: the script crashed the JavaScript sandbox (stack overflow). It nested values or calls too deeply for the engine's built-ins (JSON.stringify, String() or printing of a deeply nested array or object, a long Proxy chain, a recursive toString). The host is unaffected; flatten the data or limit its depth.");
            }

            if (workerErrors.Contains("Out of memory", StringComparison.OrdinalIgnoreCase) || workerErrors.Contains("OutOfMemory", StringComparison.Ordinal) || exit.ExitCode == 128 + 9)
            {
                return (SandboxLimit.Memory, exit.ExitCode, $"Stopped: the script crashed the JavaScript sandbox by using more than its {mib} MiB of memory.");
            }

            if (exit.ExitCode == 128 + 24)
            {
                return (SandboxLimit.Time, exit.ExitCode, "Stopped: the script used more CPU time than the sandbox allows.");
            }

            var detail = Tail(workerErrors.Trim(), 600);
            return (null, exit.ExitCode == 0 ? 1 : exit.ExitCode, $"The JavaScript sandbox stopped unexpectedly (exit {exit.ExitCode}) without finishing the script.{(detail.Length > 0 ? " " + detail : string.Empty)}");
        }

        private static string Tail(string text, int max) => text.Length <= max ? text : "…" + text[^max..];
    }
}
