using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// A seccomp deny-list in classic BPF, the form bubblewrap's <c>--seccomp FD</c> loads. It refuses
/// (EPERM) the system calls a sandboxed program never needs and that widen the kernel's attack
/// surface or reach outside the jail: debugging other processes, mounting, namespaces, keyrings,
/// BPF, perf, userfaultfd, kernel modules and kexec, file handles, port I/O, swap, reboot,
/// accounting, quotas, clock setting, io_uring, and TIOCSTI/TIOCLINUX ioctls. <c>clone</c> with a
/// namespace flag is refused; <c>clone3</c> (whose flags BPF cannot read) returns ENOSYS, so glibc
/// falls back to <c>clone</c>. A call from another architecture's ABI (x32, i386) kills the process.
/// Everything else is allowed: a deny-list keeps Python's and .NET's ordinary calls working.
/// </summary>
internal static class SeccompFilter
{
    private const uint AuditArchX8664 = 0xC000003E;
    private const uint AuditArchAarch64 = 0xC00000B7;
    private const uint RetKillProcess = 0x80000000;
    private const uint RetAllow = 0x7FFF0000;
    private const uint RetErrno = 0x00050000;
    private const uint Eperm = 1;
    private const uint Enosys = 38;
    private const uint NamespaceFlags = 0x7E020000; // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
    private const uint Tiocsti = 0x5412;
    private const uint Tioclinux = 0x541C;

    // BPF opcodes.
    private const ushort LoadWordAbsolute = 0x20;
    private const ushort JumpEqual = 0x15;
    private const ushort JumpGreaterOrEqual = 0x35;
    private const ushort JumpSet = 0x45;
    private const ushort Return = 0x06;

    // Offsets in struct seccomp_data: nr, arch, instruction pointer, then six 64-bit arguments (little-endian).
    private const uint NrOffset = 0;
    private const uint ArchOffset = 4;
    private const uint Arg0Low = 16;
    private const uint Arg1Low = 24;

    private static readonly int[] DeniedX64 =
    [
        101, 310, 311, // ptrace, process_vm_readv, process_vm_writev
        165, 166, 155, 161, 428, 429, 430, 431, 432, 433, 442, // mount, umount2, pivot_root, chroot, open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr
        272, 308, // unshare, setns
        250, 248, 249, // keyctl, add_key, request_key
        321, 298, 323, // bpf, perf_event_open, userfaultfd
        246, 320, 175, 313, 176, 134, // kexec_load, kexec_file_load, init_module, finit_module, delete_module, uselib
        304, 303, // open_by_handle_at, name_to_handle_at
        172, 173, // iopl, ioperm
        167, 168, 169, 163, 179, 443, // swapon, swapoff, reboot, acct, quotactl, quotactl_fd
        164, 227, 159, 305, 103, 153, 212, 156, // settimeofday, clock_settime, adjtimex, clock_adjtime, syslog, vhangup, lookup_dcookie, _sysctl
        425, 426, 427, // io_uring_setup, io_uring_enter, io_uring_register
    ];

    private static readonly int[] DeniedArm64 =
    [
        117, 270, 271,
        40, 39, 41, 51, 428, 429, 430, 431, 432, 433, 442,
        97, 268,
        219, 217, 218,
        280, 241, 282,
        104, 294, 105, 273, 106,
        265, 264,
        224, 225, 142, 89, 60, 443,
        170, 112, 171, 266, 116, 58, 18,
        425, 426, 427,
    ];

    /// <summary>The compiled filter for this machine's architecture, or null where there is none (then runs go without one).</summary>
    public static byte[]? ForCurrentArchitecture() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => Build(AuditArchX8664, DeniedX64, clone: 56, clone3: 435, ioctl: 16, x32: true),
        Architecture.Arm64 => Build(AuditArchAarch64, DeniedArm64, clone: 220, clone3: 435, ioctl: 29, x32: false),
        _ => null,
    };

    private static byte[] Build(uint arch, int[] denied, uint clone, uint clone3, uint ioctl, bool x32)
    {
        var program = new List<(ushort Code, byte True, byte False, uint K)>
        {
            (LoadWordAbsolute, 0, 0, ArchOffset),
            (JumpEqual, 1, 0, arch),
            (Return, 0, 0, RetKillProcess),
            (LoadWordAbsolute, 0, 0, NrOffset),
        };
        if (x32)
        {
            // x32 system calls are the x86-64 numbers plus bit 30; none is allowed.
            program.Add((JumpGreaterOrEqual, 0, 1, 0x40000000));
            program.Add((Return, 0, 0, RetKillProcess));
        }

        foreach (var nr in denied)
        {
            program.Add((JumpEqual, 0, 1, (uint)nr));
            program.Add((Return, 0, 0, RetErrno | Eperm));
        }

        program.Add((JumpEqual, 0, 1, clone3));
        program.Add((Return, 0, 0, RetErrno | Enosys));

        // clone: refuse namespace flags (argument 0 on both architectures).
        program.Add((JumpEqual, 0, 4, clone));
        program.Add((LoadWordAbsolute, 0, 0, Arg0Low));
        program.Add((JumpSet, 0, 1, NamespaceFlags));
        program.Add((Return, 0, 0, RetErrno | Eperm));
        program.Add((Return, 0, 0, RetAllow));

        // ioctl: refuse pushing input into a terminal and the Linux console's control calls.
        program.Add((JumpEqual, 0, 5, ioctl));
        program.Add((LoadWordAbsolute, 0, 0, Arg1Low));
        program.Add((JumpEqual, 1, 0, Tiocsti));
        program.Add((JumpEqual, 0, 1, Tioclinux));
        program.Add((Return, 0, 0, RetErrno | Eperm));
        program.Add((Return, 0, 0, RetAllow));
        program.Add((Return, 0, 0, RetAllow));

        var bytes = new byte[program.Count * 8];
        for (var i = 0; i < program.Count; i++)
        {
            var span = bytes.AsSpan(i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(span, program[i].Code);
            span[2] = program[i].True;
            span[3] = program[i].False;
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], program[i].K);
        }

        return bytes;
    }
}
