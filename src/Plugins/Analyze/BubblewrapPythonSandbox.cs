using System.Globalization;
using System.Text;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// Python in a bubblewrap jail: no network and its own user (nested ones disabled), PID, IPC and
/// UTS namespaces; a read-only <c>/usr</c> and nothing else of the host's file system; an empty
/// environment; no host file descriptor but standard input, output and error; a seccomp filter; one
/// size-limited tmpfs as all the writable space (<c>/work</c>, <c>/tmp</c>, <c>/dev/shm</c>); and
/// rlimits on CPU time, address space, processes and threads, file size and open files. On timeout
/// the whole sandbox is killed (its PID namespace dies with it).
/// Requires Linux with <c>bwrap</c> 0.8 or later (Debian/Ubuntu: <c>apt-get install bubblewrap</c>),
/// <c>prlimit</c> and <c>setpriv</c> (util-linux), and a Python under <c>/usr</c>.
/// </summary>
public sealed class BubblewrapPythonSandbox : ICodeSandbox
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly BubblewrapOptions _options;
    private readonly Jail _jail;
    private readonly Lazy<string?> _unavailable;

    /// <summary>Creates the sandbox.</summary>
    public BubblewrapPythonSandbox(BubblewrapOptions? options = null)
    {
        _options = options ?? new BubblewrapOptions();
        _jail = new Jail(_options);
        _unavailable = new Lazy<string?>(Probe);
    }

    /// <inheritdoc />
    public string Language => "python";

    /// <inheritdoc />
    public string? Unavailable => _unavailable.Value;

    /// <summary>For tests: run as this user id instead of the host's (or a random one when root).</summary>
    internal int? UserIdOverride { get; init; }

    /// <inheritdoc />
    public async Task<CodeRunResult> RunAsync(string code, SandboxLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(limits);
        if (Unavailable is { } why)
        {
            throw new SandboxUnavailableException(why);
        }

        // Removed however the run ends: killed at the timeout, cancelled, or an error of ours.
        using var folder = SandboxWorkFolder.Create(_jail.WorkRoot);
        var script = folder.Write("main.py", Utf8.GetBytes(code));
        var command = new JailCommand
        {
            Program = _options.PythonPath,
            DiskBytes = limits.MaxDiskBytes,
            CpuSeconds = (long)Math.Ceiling(limits.Timeout.TotalSeconds) + 1,
            AddressSpaceBytes = limits.MemoryBytes,

            // One more than the code's allowance: the jail's init process (bwrap) counts in the namespace too.
            Tasks = limits.MaxProcesses + 1,
            FileSizeBytes = limits.MaxFileBytes,

            // Threads take their stack size from this; at the default 8 MiB the address-space limit
            // (256 MiB) would stop the sixth thread long before the process limit.
            StackBytes = 2L << 20,
        };
        command.Arguments.Add("-I");
        command.Arguments.Add("main.py");
        command.ReadOnlyBinds.Add((script, JailCommand.WorkPath + "/main.py"));
        command.Environment["PATH"] = "/usr/bin:/bin";
        command.Environment["HOME"] = JailCommand.WorkPath;
        command.Environment["TMPDIR"] = "/tmp";
        command.Environment["PYTHONIOENCODING"] = "utf-8";
        command.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        var filter = SeccompFilter.ForCurrentArchitecture() is { } bpf ? folder.Write("seccomp.bpf", bpf) : null;
        var user = UserIdOverride ?? _jail.PickUserId();
        folder.GiveTo(user);
        var start = command.BuildJailed(_jail, filter, user);

        var stdout = new BoundedText(limits.MaxOutputChars);
        var stderr = new BoundedText(limits.MaxOutputChars);
        var exit = await SandboxProcess.RunAsync(start, null, limits.Timeout, r => SandboxProcess.DrainAsync(r, stdout), r => SandboxProcess.DrainAsync(r, stderr), cancellationToken).ConfigureAwait(false);
        var errors = stderr.ToString();
        SandboxLimit? limit = exit.TimedOut ? SandboxLimit.Time : Classify(exit.ExitCode, errors);
        if (limit is null && (stdout.Truncated || stderr.Truncated))
        {
            limit = SandboxLimit.Output;
        }

        if (exit.TimedOut)
        {
            errors += (errors.Length > 0 ? "\n" : string.Empty) + $"Stopped: the code ran longer than {limits.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s and was killed.";
        }
        else if (limit == SandboxLimit.Disk)
        {
            errors += (errors.Length > 0 ? "\n" : string.Empty) + $"Stopped: the code wrote more than the sandbox's {limits.MaxDiskBytes / (1 << 20)} MiB of writable space (/work, /tmp and /dev/shm together).";
        }

        return new CodeRunResult(Language, stdout.ToString(), errors, exit.ExitCode, exit.Elapsed, limit);
    }

    private static SandboxLimit? Classify(int exitCode, string stderr) => exitCode switch
    {
        0 => null,
        128 + 24 => SandboxLimit.Time, // SIGXCPU: the CPU-time rlimit
        128 + 25 => SandboxLimit.FileSize, // SIGXFSZ
        _ when stderr.Contains("MemoryError", StringComparison.Ordinal) => SandboxLimit.Memory,
        _ when stderr.Contains("File too large", StringComparison.Ordinal) => SandboxLimit.FileSize,
        _ when stderr.Contains("No space left on device", StringComparison.Ordinal) => SandboxLimit.Disk,
        _ when stderr.Contains("BlockingIOError", StringComparison.Ordinal) && stderr.Contains("Resource temporarily unavailable", StringComparison.Ordinal) => SandboxLimit.Processes,
        _ when stderr.Contains("can't start new thread", StringComparison.Ordinal) => SandboxLimit.Processes,
        _ => null,
    };

    private string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "The Python sandbox needs Linux (bubblewrap); use the JavaScript sandbox on this system.";
        }

        if (_jail.Unavailable is { } why)
        {
            return "The Python sandbox cannot run: " + why;
        }

        if (!File.Exists(_options.PythonPath))
        {
            return $"The Python sandbox needs a Python interpreter at '{_options.PythonPath}', and there is none. Install python3 (Debian/Ubuntu: sudo apt-get install python3) or set BubblewrapOptions.PythonPath.";
        }

        if (!_jail.IsUnderReadOnlyPath(_options.PythonPath))
        {
            return $"The Python interpreter '{_options.PythonPath}' is outside the folders the sandbox can see ({string.Join(", ", _options.ReadOnlyPaths)}). Use a system Python under /usr or add its prefix to BubblewrapOptions.ReadOnlyPaths.";
        }

        return null;
    }
}
