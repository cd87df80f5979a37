using System.ComponentModel.DataAnnotations;

namespace Plansmith.Plugins.Analyze;

/// <summary>What one run of code may use. Every limit is finite.</summary>
public sealed class SandboxLimits
{
    /// <summary>Wall time of one run; the run is killed after it. Default 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Memory the code may allocate. Default 256 MiB.</summary>
    [Range(1L << 20, 16L << 30)]
    public long MemoryBytes { get; set; } = 256L << 20;

    /// <summary>Characters of standard output and of standard error kept; the rest is dropped and reported. Default 64,000.</summary>
    [Range(1, 10_000_000)]
    public int MaxOutputChars { get; set; } = 64_000;

    /// <summary>JavaScript: statements one run may execute. Default 50 million.</summary>
    [Range(1, int.MaxValue)]
    public int MaxStatements { get; set; } = 50_000_000;

    /// <summary>JavaScript: call depth. Default 256.</summary>
    [Range(1, 100_000)]
    public int MaxRecursion { get; set; } = 256;

    /// <summary>Python: processes and threads the code may have at once (fork bombs stop here). Default 16.</summary>
    [Range(1, 4_096)]
    public int MaxProcesses { get; set; } = 16;

    /// <summary>Python: the largest file the code may write. Default 16 MiB.</summary>
    [Range(0, 16L << 30)]
    public long MaxFileBytes { get; set; } = 16L << 20;

    /// <summary>
    /// All the code may write, in bytes: the jail's only writable space (<c>/work</c>, <c>/tmp</c> and
    /// <c>/dev/shm</c> together) is a tmpfs of this size, held in the host's memory. Default 64 MiB.
    /// </summary>
    [Range(1L << 20, 16L << 30)]
    public long MaxDiskBytes { get; set; } = 64L << 20;
}
