namespace Plansmith.Plugins.Analyze;

/// <summary>Where the Python sandbox finds its programs, and who the code runs as.</summary>
public sealed class BubblewrapOptions
{
    /// <summary>The bubblewrap program. Default <c>bwrap</c> on the PATH.</summary>
    public string BwrapPath { get; set; } = "bwrap";

    /// <summary>The Python interpreter; it and its libraries must live under <see cref="ReadOnlyPaths"/>. Default <c>/usr/bin/python3</c>.</summary>
    public string PythonPath { get; set; } = "/usr/bin/python3";

    /// <summary>util-linux's prlimit, which sets the resource limits. Default <c>prlimit</c> on the PATH.</summary>
    public string PrlimitPath { get; set; } = "prlimit";

    /// <summary>util-linux's setpriv, used to drop root to a sandbox user (see <see cref="SandboxUserIdBase"/>). Default <c>setpriv</c> on the PATH.</summary>
    public string SetprivPath { get; set; } = "setpriv";

    /// <summary>
    /// When the host runs as root, the code runs as a user id picked at random from
    /// [<see cref="SandboxUserIdBase"/>, base + 65,536) for each run, with no account behind it. The
    /// process limit counts per user, so a run of its own user is not charged for other runs' processes.
    /// Default 300,000.
    /// </summary>
    public int SandboxUserIdBase { get; set; } = 300_000;

    /// <summary>
    /// Where each run's host folder (the script and the seccomp filter, read-only in the jail) is
    /// made and removed again; folders of dead processes older than an hour are swept from it.
    /// Default null: the system's temp folder. The code's writable space is a tmpfs, not this folder.
    /// </summary>
    public string? WorkRoot { get; set; }

    /// <summary>Host folders visible read-only inside the sandbox. Default <c>/usr</c> only.</summary>
    public IList<string> ReadOnlyPaths { get; } = ["/usr"];
}
