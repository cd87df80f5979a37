using System.Diagnostics;
using System.Globalization;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// One program to run in the jail, and the command line that does it. The layers, outermost first:
/// <list type="number">
/// <item><c>/bin/sh</c> only to open the seccomp filter on descriptor 9 for bwrap (Process cannot pass one);</item>
/// <item><c>setpriv</c> to an unprivileged user id of the run's own when the host is root;</item>
/// <item><c>bwrap</c>: new user (nested ones disabled), PID, network, IPC, UTS and mount namespaces, a
/// new session, the seccomp filter, the read-only folders, a size-limited tmpfs at <c>/work</c> that
/// also holds <c>/tmp</c> and <c>/dev/shm</c>, a read-only <c>/dev</c> with only null, zero, full,
/// random and urandom, and an empty environment;</item>
/// <item><c>prlimit</c> inside the jail, on CPU time, address space, processes, file size, open files
/// and core dumps. Inside, because RLIMIT_NPROC counts per user namespace on kernels from 5.14: set
/// there it counts the jail's tasks only, so a non-root user who already runs many processes and
/// threads still gets the jail's full allowance, and the jail cannot exceed it.</item>
/// </list>
/// </summary>
internal sealed class JailCommand
{
    /// <summary>Where the work tmpfs is, inside the jail; the code's working and home folder.</summary>
    public const string WorkPath = "/work";

    /// <summary>The program's path inside the jail.</summary>
    public required string Program { get; init; }

    public IList<string> Arguments { get; } = [];

    /// <summary>Host files or folders bound read-only, host path first, jail path second.</summary>
    public IList<(string Host, string Jail)> ReadOnlyBinds { get; } = [];

    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The size of the writable tmpfs (work, temp and shared memory together).</summary>
    public long DiskBytes { get; init; } = 64L << 20;

    public long CpuSeconds { get; init; } = 11;

    /// <summary>RLIMIT_AS; 0 leaves it unset.</summary>
    public long AddressSpaceBytes { get; init; }

    /// <summary>RLIMIT_NPROC inside the jail: tasks (processes and threads) the jail may have at once.</summary>
    public int Tasks { get; init; } = 16;

    public long FileSizeBytes { get; init; } = 16L << 20;

    public int OpenFiles { get; init; } = 64;

    /// <summary>RLIMIT_STACK, which glibc also takes as each thread's stack size; 0 leaves it unset.</summary>
    public long StackBytes { get; init; }

    /// <summary>For tests: stands in for variables in the host's environment, which a new process starts with.</summary>
    public IReadOnlyDictionary<string, string>? HostEnvironmentForTests { get; init; }

    /// <summary>The command line for a bubblewrap jail.</summary>
    /// <param name="jail">The jail's programs.</param>
    /// <param name="seccompFile">A compiled seccomp filter, or null to run without one.</param>
    /// <param name="userId">The user id to run as (host is root), or null to stay the host's user.</param>
    public ProcessStartInfo BuildJailed(Jail jail, string? seccompFile, int? userId)
    {
        var start = NewStartInfo();
        var argv = new List<string>();
        if (userId is { } uid)
        {
            var id = uid.ToString(CultureInfo.InvariantCulture);
            argv.AddRange([jail.Setpriv, $"--reuid={id}", $"--regid={id}", "--clear-groups", "--"]);
        }

        argv.AddRange([jail.Bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session"]);
        if (seccompFile is not null)
        {
            argv.AddRange(["--seccomp", "9"]);
        }

        foreach (var path in jail.ReadOnlyPaths)
        {
            argv.AddRange(["--ro-bind", path, path]);
        }

        if (jail.ReadOnlyPaths.Contains("/usr"))
        {
            argv.AddRange(["--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin"]);
        }

        foreach (var (host, inside) in ReadOnlyBinds.Where(b => b.Jail != b.Host || !jail.IsUnderReadOnlyPath(b.Host)).Where(b => !b.Jail.StartsWith(WorkPath + "/", StringComparison.Ordinal)))
        {
            argv.AddRange(["--ro-bind", host, inside]);
        }

        var prlimit = jail.IsUnderReadOnlyPath(jail.Prlimit) ? jail.Prlimit : "/run/plansmith/prlimit";
        if (prlimit != jail.Prlimit)
        {
            argv.AddRange(["--ro-bind", jail.Prlimit, prlimit]);
        }

        argv.AddRange(["--proc", "/proc"]);

        // /dev: only harmless devices, on a read-only tmpfs, so it cannot hold data.
        argv.AddRange(["--size", "65536", "--tmpfs", "/dev"]);
        foreach (var device in new[] { "null", "zero", "full", "random", "urandom" })
        {
            argv.AddRange(["--dev-bind", "/dev/" + device, "/dev/" + device]);
        }

        argv.AddRange(["--symlink", "/proc/self/fd", "/dev/fd", "--symlink", "/proc/self/fd/0", "/dev/stdin", "--symlink", "/proc/self/fd/1", "/dev/stdout", "--symlink", "/proc/self/fd/2", "/dev/stderr"]);

        // All the code can write is one tmpfs of DiskBytes: /work, with /tmp and /dev/shm inside it.
        argv.AddRange(["--size", DiskBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", WorkPath]);
        argv.AddRange(["--dir", WorkPath + "/.tmp", "--dir", WorkPath + "/.shm", "--symlink", WorkPath + "/.tmp", "/tmp", "--symlink", WorkPath + "/.shm", "/dev/shm"]);
        foreach (var (host, inside) in ReadOnlyBinds.Where(b => b.Jail.StartsWith(WorkPath + "/", StringComparison.Ordinal)))
        {
            argv.AddRange(["--ro-bind", host, inside]);
        }

        // The jail's root is a tmpfs too: read-only, or it would be writable space without a size.
        argv.AddRange(["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WorkPath, "--clearenv"]);
        foreach (var (name, value) in Environment)
        {
            argv.AddRange(["--setenv", name, value]);
        }

        argv.AddRange(["--", prlimit]);
        argv.AddRange(Rlimits(includeTasks: true));
        argv.Add("--");
        argv.Add(Program);
        argv.AddRange(Arguments);

        if (seccompFile is not null)
        {
            // exec keeps the shell's redirection: descriptor 9 is open, without close-on-exec, in bwrap.
            start.FileName = "/bin/sh";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("exec \"$@\" 9<\"$0\"");
            start.ArgumentList.Add(seccompFile);
        }
        else
        {
            start.FileName = argv[0];
            argv.RemoveAt(0);
        }

        foreach (var arg in argv)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    /// <summary>
    /// The command line without a jail (no bubblewrap, or not Linux): the program on the host, with
    /// only <see cref="Environment"/>, under prlimit when there is one (without the process limit,
    /// which outside a user namespace would count every task of the user).
    /// </summary>
    public ProcessStartInfo BuildUnjailed(string? prlimit, string workingDirectory)
    {
        var start = NewStartInfo();
        start.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        if (prlimit is not null)
        {
            start.FileName = prlimit;
            foreach (var arg in Rlimits(includeTasks: false))
            {
                start.ArgumentList.Add(arg);
            }

            start.ArgumentList.Add("--");
            start.ArgumentList.Add(Program);
        }
        else
        {
            start.FileName = Program;
        }

        foreach (var arg in Arguments)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private List<string> Rlimits(bool includeTasks)
    {
        var limits = new List<string> { $"--cpu={CpuSeconds.ToString(CultureInfo.InvariantCulture)}" };
        if (AddressSpaceBytes > 0)
        {
            limits.Add($"--as={AddressSpaceBytes.ToString(CultureInfo.InvariantCulture)}");
        }

        if (includeTasks)
        {
            limits.Add($"--nproc={Tasks.ToString(CultureInfo.InvariantCulture)}");
        }

        if (StackBytes > 0)
        {
            limits.Add($"--stack={StackBytes.ToString(CultureInfo.InvariantCulture)}");
        }

        limits.Add($"--fsize={FileSizeBytes.ToString(CultureInfo.InvariantCulture)}");
        limits.Add($"--nofile={OpenFiles.ToString(CultureInfo.InvariantCulture)}");
        limits.Add("--core=0");
        return limits;
    }

    private ProcessStartInfo NewStartInfo()
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in HostEnvironmentForTests ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        // Not only the code's environment: bwrap itself is visible from inside (/proc/1/environ).
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        return start;
    }
}
