using System.Globalization;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// The programs a bubblewrap jail is made of on this machine (bwrap, prlimit, setpriv), found once,
/// and who the code runs as. Shared by the Python and the JavaScript sandbox.
/// </summary>
internal sealed class Jail
{
    private readonly BubblewrapOptions _options;

    public Jail(BubblewrapOptions options)
    {
        _options = options;
        IsRoot = OperatingSystem.IsLinux() && GetUid() == 0;
        if (!OperatingSystem.IsLinux())
        {
            Unavailable = "The jail needs Linux (bubblewrap).";
            return;
        }

        Bwrap = Resolve(options.BwrapPath) ?? string.Empty;
        Prlimit = Resolve(options.PrlimitPath) ?? string.Empty;
        Setpriv = Resolve(options.SetprivPath) ?? string.Empty;
        if (Bwrap.Length == 0)
        {
            Unavailable = $"The jail needs bubblewrap, and '{options.BwrapPath}' was not found. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap).";
        }
        else if (Prlimit.Length == 0 || (IsRoot && Setpriv.Length == 0))
        {
            Unavailable = "The jail needs prlimit and setpriv from util-linux, and they were not found. Install util-linux.";
        }
    }

    /// <summary>Why the jail cannot be used here, or null.</summary>
    public string? Unavailable { get; }

    public string Bwrap { get; } = string.Empty;

    public string Prlimit { get; } = string.Empty;

    public string Setpriv { get; } = string.Empty;

    /// <summary>Whether the host runs as root: then the code runs as an unprivileged user id of its own.</summary>
    public bool IsRoot { get; }

    public IList<string> ReadOnlyPaths => _options.ReadOnlyPaths;

    /// <summary>Where run folders are made: <see cref="BubblewrapOptions.WorkRoot"/> or the system's temp folder.</summary>
    public string WorkRoot => _options.WorkRoot ?? Path.GetTempPath();

    /// <summary>Whether <paramref name="path"/> lies under one of the read-only folders.</summary>
    public bool IsUnderReadOnlyPath(string path) =>
        ReadOnlyPaths.Any(p => Path.GetFullPath(path).StartsWith(p.TrimEnd('/') + "/", StringComparison.Ordinal));

    /// <summary>
    /// A user id for one run when the host is root: random in [base, base + 65,536), with no account,
    /// so runs are not charged for each other's processes. Null when the host is not root.
    /// </summary>
    public int? PickUserId() => IsRoot ? _options.SandboxUserIdBase + Random.Shared.Next(0, 65_536) : null;

    public static string? Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? RealPath(program) : null;
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, program);
            if (File.Exists(candidate))
            {
                return RealPath(candidate);
            }
        }

        return null;
    }

    /// <summary>The path with every symbolic link resolved (bwrap binds the target, and /bin may be a link to usr/bin).</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        var directory = Path.GetDirectoryName(target);
        if (directory is null)
        {
            return target;
        }

        var realDirectory = new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? directory;
        return Path.Combine(realDirectory, Path.GetFileName(target));
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
}
