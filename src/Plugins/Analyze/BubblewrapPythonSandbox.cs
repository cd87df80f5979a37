using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// Python in a bubblewrap jail: no network (<c>--unshare-net</c>), its own process, IPC and UTS
/// namespaces, a read-only <c>/usr</c> and nothing else of the host's file system, an empty
/// environment, a fresh temporary work directory, and rlimits on CPU time, address space,
/// processes and file size. On timeout the whole sandbox is killed (its PID namespace dies with it).
/// Requires Linux with <c>bwrap</c> (Debian/Ubuntu: <c>apt-get install bubblewrap</c>), <c>prlimit</c>
/// and <c>setpriv</c> (util-linux), and a Python under <c>/usr</c>.
/// </summary>
public sealed class BubblewrapPythonSandbox : ICodeSandbox
{
    private readonly BubblewrapOptions _options;
    private readonly Lazy<string?> _unavailable;

    /// <summary>Creates the sandbox.</summary>
    public BubblewrapPythonSandbox(BubblewrapOptions? options = null)
    {
        _options = options ?? new BubblewrapOptions();
        _unavailable = new Lazy<string?>(Probe);
    }

    /// <inheritdoc />
    public string Language => "python";

    /// <inheritdoc />
    public string? Unavailable => _unavailable.Value;

    /// <inheritdoc />
    public async Task<CodeRunResult> RunAsync(string code, SandboxLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(limits);
        if (Unavailable is { } why)
        {
            throw new SandboxUnavailableException(why);
        }

        var work = Directory.CreateTempSubdirectory("plansmith-sandbox-");
        try
        {
            // The code runs as another user when we are root: the folder must be theirs to write.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(work.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
            }

            var script = Path.Combine(work.FullName, "main.py");
            await File.WriteAllTextAsync(script, code, cancellationToken).ConfigureAwait(false);
            return await RunProcessAsync(work.FullName, limits, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a dying process; the OS cleans the temp folder.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private async Task<CodeRunResult> RunProcessAsync(string work, SandboxLimits limits, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };

        // Not only the code's environment: bwrap itself runs as PID 1 of the sandbox, and its
        // /proc/1/environ is readable from inside. Nothing of the host's environment goes in.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        var isRoot = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || GetUid() == 0;
        var args = start.ArgumentList;
        if (isRoot)
        {
            start.FileName = _options.SetprivPath;
            var uid = _options.SandboxUserIdBase + Random.Shared.Next(0, 65_536);
            foreach (var a in new[] { $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", _options.PrlimitPath })
            {
                args.Add(a);
            }
        }
        else
        {
            start.FileName = _options.PrlimitPath;
        }

        // RLIMIT_NPROC counts every process of the user: outside root, leave room for the ones it already has.
        var processes = isRoot ? limits.MaxProcesses : limits.MaxProcesses + CountOwnProcesses();
        var cpuSeconds = (long)Math.Ceiling(limits.Timeout.TotalSeconds) + 1;
        foreach (var a in new[]
        {
            $"--cpu={cpuSeconds}", $"--as={limits.MemoryBytes}", $"--nproc={processes}", $"--fsize={limits.MaxFileBytes}", "--nofile=64", "--core=0", "--",
            _options.BwrapPath, "--unshare-all", "--die-with-parent", "--new-session",
        })
        {
            args.Add(a);
        }

        foreach (var path in _options.ReadOnlyPaths)
        {
            args.Add("--ro-bind");
            args.Add(path);
            args.Add(path);
        }

        foreach (var a in new[]
        {
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--bind", work, "/work", "--chdir", "/work",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/work",
            "--setenv", "PYTHONIOENCODING", "utf-8", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
            "--", _options.PythonPath, "-I", "main.py",
        })
        {
            args.Add(a);
        }

        var stdout = new BoundedText(limits.MaxOutputChars);
        var stderr = new BoundedText(limits.MaxOutputChars);
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.Start();
        process.StandardInput.Close();
        var readOut = DrainAsync(process.StandardOutput, stdout);
        var readErr = DrainAsync(process.StandardError, stderr);
        var timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(limits.Timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                if (!timedOut)
                {
                    throw;
                }
            }
        }

        await Task.WhenAll(readOut, readErr).ConfigureAwait(false);
        var errors = stderr.ToString();
        var exitCode = timedOut ? 124 : process.ExitCode;
        SandboxLimit? limit = timedOut ? SandboxLimit.Time : Classify(exitCode, errors);
        if (limit is null && (stdout.Truncated || stderr.Truncated))
        {
            limit = SandboxLimit.Output;
        }

        if (timedOut)
        {
            errors += (errors.Length > 0 ? "\n" : string.Empty) + $"Stopped: the code ran longer than {limits.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s and was killed.";
        }

        return new CodeRunResult(Language, stdout.ToString(), errors, exitCode, clock.Elapsed, limit);
    }

    /// <summary>Reads a pipe to its end, keeping what fits: a pipe left unread would block the code.</summary>
    private static async Task DrainAsync(StreamReader reader, BoundedText target)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            target.Append(new string(buffer, 0, read));
        }
    }

    private static SandboxLimit? Classify(int exitCode, string stderr) => exitCode switch
    {
        0 => null,
        128 + 24 => SandboxLimit.Time, // SIGXCPU: the CPU-time rlimit
        128 + 25 => SandboxLimit.FileSize, // SIGXFSZ
        _ when stderr.Contains("MemoryError", StringComparison.Ordinal) => SandboxLimit.Memory,
        _ when stderr.Contains("File too large", StringComparison.Ordinal) => SandboxLimit.FileSize,
        _ when stderr.Contains("BlockingIOError", StringComparison.Ordinal) && stderr.Contains("Resource temporarily unavailable", StringComparison.Ordinal) => SandboxLimit.Processes,
        _ => null,
    };

    private static void Kill(Process process)
    {
        try
        {
            // bwrap is the sandbox's parent; with it gone the kernel kills the whole PID namespace.
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
        }
    }

    private string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "The Python sandbox needs Linux (bubblewrap); use the JavaScript sandbox on this system.";
        }

        if (Resolve(_options.BwrapPath) is null)
        {
            return $"The Python sandbox needs bubblewrap, and '{_options.BwrapPath}' was not found. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap).";
        }

        if (Resolve(_options.PrlimitPath) is null || Resolve(_options.SetprivPath) is null)
        {
            return "The Python sandbox needs prlimit and setpriv from util-linux, and they were not found. Install util-linux.";
        }

        if (!File.Exists(_options.PythonPath))
        {
            return $"The Python sandbox needs a Python interpreter at '{_options.PythonPath}', and there is none. Install python3 (Debian/Ubuntu: sudo apt-get install python3) or set BubblewrapOptions.PythonPath.";
        }

        if (!_options.ReadOnlyPaths.Any(p => Path.GetFullPath(_options.PythonPath).StartsWith(p.TrimEnd('/') + "/", StringComparison.Ordinal)))
        {
            return $"The Python interpreter '{_options.PythonPath}' is outside the folders the sandbox can see ({string.Join(", ", _options.ReadOnlyPaths)}). Use a system Python under /usr or add its prefix to BubblewrapOptions.ReadOnlyPaths.";
        }

        return null;
    }

    private static string? Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? program : null;
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int GetUid()
    {
        try
        {
            var status = File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return status is null ? -1 : int.Parse(status.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static int CountOwnProcesses()
    {
        var uid = GetUid().ToString(CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var line = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                if (line is not null && line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == uid)
                {
                    count++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A process that ended while we looked.
            }
        }

        return count;
    }
}
