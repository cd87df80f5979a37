using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Who holds a run's lease: host name, process id and a random instance id (one per store object),
/// plus a machine key (host name, boot id and pid namespace on Linux) that says whether a process
/// id can be checked from here at all.
/// </summary>
internal sealed class RunOwnerIdentity
{
    // Instance ids created in this process: an owner with our pid but an id not in here is a
    // process that died before us and whose pid we reused.
    private static readonly ConcurrentDictionary<string, byte> OwnIds = new(StringComparer.Ordinal);
    private static readonly Lazy<string> MachineKey = new(ReadMachineKey);

    private RunOwnerIdentity(string id, string host, int processId, string machine)
    {
        Id = id;
        Host = host;
        ProcessId = processId;
        Machine = machine;
    }

    public string Id { get; }

    public string Host { get; }

    public int ProcessId { get; }

    public string Machine { get; }

    /// <summary>A new identity for this process with a random instance id.</summary>
    public static RunOwnerIdentity Create()
    {
        var host = Environment.MachineName;
        var pid = Environment.ProcessId;
        var id = string.Create(CultureInfo.InvariantCulture, $"{host}/{pid}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
        OwnIds.TryAdd(id, 0);
        return new RunOwnerIdentity(id, host, pid, MachineKey.Value);
    }

    /// <summary>
    /// True only when the owner is certainly gone: it ran on this machine (same host, boot and pid
    /// namespace) and its process no longer exists. A live process with the owner's pid may be a
    /// reused pid, so it counts as alive: then only the lease's expiry frees the run.
    /// </summary>
    public bool IsCertainlyGone(string ownerId, string? ownerMachine, long? ownerPid)
    {
        if (ownerMachine != Machine || ownerPid is not { } pid || pid <= 0 || pid > int.MaxValue)
        {
            return false;
        }

        if (pid == ProcessId)
        {
            return !OwnIds.ContainsKey(ownerId);
        }

        return !IsRunning((int)pid);
    }

    private static bool IsRunning(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // A zombie has ended; it only waits for its parent to read its exit status.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var state = stat[(stat.LastIndexOf(')') + 2)..];
                return !state.StartsWith('Z') && !state.StartsWith('X');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                return ex is UnauthorizedAccessException;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return true; // Cannot tell: assume alive and let the lease decide.
        }
    }

    private static string ReadMachineKey()
    {
        var key = Environment.MachineName;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                key += "|" + File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
                key += "|" + (new FileInfo("/proc/self/ns/pid").LinkTarget ?? string.Empty);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // No boot id or namespace to compare: the host name alone, as on other systems.
            }
        }

        return key;
    }
}
