using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Plansmith.Plugins.Analyze;

namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>
/// Hostile Python against the bubblewrap jail: descriptors leaked by the host, filling the writable
/// space, nested namespaces, system calls the seccomp filter refuses, process and thread limits,
/// kills and cancellations, stale folders. Needs Linux with bubblewrap 0.8+, like the other jail tests.
/// </summary>
public sealed partial class PythonJailContainmentTests : IDisposable
{
    private readonly SandboxFolder _root = new();
    private readonly BubblewrapPythonSandbox _sandbox;

    public PythonJailContainmentTests()
    {
        _sandbox = new BubblewrapPythonSandbox(new BubblewrapOptions { WorkRoot = _root.Path });
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Run_ScriptOnTheHost_IsReadableByTheSandboxUserOnly()
    {
        // The script holds the code and any data handed to it: on the host it is private (0600 in a
        // 0700 folder), yet the jail's user reads it.
        var result = await RunAsync("import os\ns = os.stat('/work/main.py')\nprint(oct(s.st_mode & 0o777), os.getuid() == s.st_uid)");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("0o600 True", result.Stdout.Trim());
    }

    private async Task<CodeRunResult> RunAsync(string code, Action<SandboxLimits>? configure = null, BubblewrapPythonSandbox? sandbox = null)
    {
        sandbox ??= _sandbox;
        Assert.True(sandbox.Unavailable is null, sandbox.Unavailable);
        var limits = new SandboxLimits { Timeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(limits);
        return await sandbox.RunAsync(code, limits);
    }

    [Fact]
    public async Task Run_HostDescriptorsWithoutCloseOnExec_DoNotReachTheJail()
    {
        var target = Path.Combine(_root.Path, "host-file.txt");
        File.WriteAllText(target, string.Empty);
        var directory = Open("/", 0x10000); // O_RDONLY | O_DIRECTORY, no O_CLOEXEC
        var writable = Open(target, 0x1 | 0x400); // O_WRONLY | O_APPEND, no O_CLOEXEC
        Assert.True(directory > 2 && writable > 2, $"open failed: {directory} {writable}");
        try
        {
            const string probe = """
                import os
                print(sorted(os.listdir('/proc/self/fd'), key=int))
                used = []
                for fd in range(3, 256):
                    try:
                        os.write(fd, b'escaped')
                        used.append(('write', fd))
                    except OSError:
                        pass
                    try:
                        os.listdir(fd)
                        used.append(('list', fd))
                    except OSError:
                        pass
                print('used', used)
                """;

            var result = await RunAsync(probe);

            Assert.True(result.Succeeded, result.Stderr);
            Assert.StartsWith("['0', '1', '2', '3']\n", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("used []", result.Stdout, StringComparison.Ordinal);
            Assert.Equal(string.Empty, File.ReadAllText(target));
        }
        finally
        {
            _ = Close(directory);
            _ = Close(writable);
        }
    }

    [Theory]
    [InlineData("/work")]
    [InlineData("/tmp")]
    [InlineData("/dev/shm")]
    public async Task Run_FillingTheWritableSpace_StopsAtTheDiskLimit(string folder)
    {
        var code = $$"""
            import os
            written = 0
            try:
                for i in range(1000):
                    with open('{{folder}}/fill%d' % i, 'wb') as f:
                        f.write(b'x' * (1 << 20))
                    written += 1 << 20
            finally:
                print('written', written)
            """;

        var result = await RunAsync(code, l => l.MaxDiskBytes = 8L << 20);

        Assert.True(result.LimitHit == SandboxLimit.Disk, $"{result.LimitHit} {result.ExitCode} {result.Stderr}");
        Assert.Contains("No space left on device", result.Stderr, StringComparison.Ordinal);
        var written = long.Parse(result.Stdout.Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.True(written <= 8L << 20, written.ToString(CultureInfo.InvariantCulture));
        Assert.Empty(_root.Entries);
    }

    [Fact]
    public async Task Run_WorkTmpAndShm_ShareOneBudget()
    {
        const string code = """
            open('/work/a', 'wb').write(b'x' * (3 << 20))
            open('/tmp/b', 'wb').write(b'x' * (3 << 20))
            print('two fit', flush=True)
            open('/dev/shm/c', 'wb').write(b'x' * (3 << 20))
            print('three fit')
            """;

        var result = await RunAsync(code, l => l.MaxDiskBytes = 8L << 20);

        Assert.Equal("two fit\n", result.Stdout);
        Assert.Equal(SandboxLimit.Disk, result.LimitHit);
    }

    [Theory]
    [InlineData("/dev/sink")]
    [InlineData("/sink")]
    [InlineData("/usr/sink")]
    [InlineData("/proc/sink")]
    public async Task Run_WritingOutsideTheWorkSpace_IsRefused(string path)
    {
        var result = await RunAsync($"open('{path}', 'wb').write(b'x')");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches("(Read-only file system|Permission denied|No such file)", result.Stderr);
    }

    [Fact]
    public async Task Run_DevNullAndUrandom_StillWork()
    {
        var result = await RunAsync("import os\nopen('/dev/null', 'w').write('x')\nprint(len(os.urandom(8)), len(open('/dev/urandom', 'rb').read(4)))");

        Assert.True(result.Succeeded, result.Stderr);
        Assert.Equal("8 4\n", result.Stdout);
    }

    [Theory]
    [InlineData("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.unshare(0x10000000), ctypes.get_errno())", "-1 1")]
    [InlineData("import subprocess\nr = subprocess.run(['/usr/bin/unshare', '-U', '/usr/bin/true'], capture_output=True)\nprint(r.returncode != 0)", "True")]
    public async Task Run_NestedUserNamespace_IsRefused(string code, string expected)
    {
        var result = await RunAsync(code);

        Assert.True(result.Succeeded, result.Stderr);
        Assert.Equal(expected, result.Stdout.Trim());
    }

    [Theory]
    [InlineData("libc.ptrace(0, 0, 0, 0)", "-1 1")] // PTRACE_TRACEME: allowed without the filter
    [InlineData("libc.syscall(435, 0, 0)", "-1 38")] // clone3 -> ENOSYS, so glibc falls back to clone
    [InlineData("libc.mount(b'none', b'/work', b'tmpfs', 0, None)", "-1 1")]
    [InlineData("libc.syscall(321 if platform.machine() == 'x86_64' else 280, 0, 0, 0)", "-1 1")] // bpf
    [InlineData("libc.syscall(323 if platform.machine() == 'x86_64' else 282, 0)", "-1 1")] // userfaultfd
    [InlineData("libc.syscall(250 if platform.machine() == 'x86_64' else 219, 0, -3, 0)", "-1 1")] // keyctl(GET_KEYRING_ID, session): allowed without the filter
    [InlineData("libc.ioctl(1, 0x5412, ctypes.c_char_p(b'x'))", "-1 1")] // TIOCSTI: ENOTTY without the filter
    public async Task Run_DeniedSystemCall_FailsWithItsErrno(string call, string expected)
    {
        var code = $"import ctypes, platform\nlibc = ctypes.CDLL(None, use_errno=True)\nr = {call}\nprint(r, ctypes.get_errno())";

        var result = await RunAsync(code);

        Assert.True(result.Succeeded, result.Stderr);
        Assert.Equal(expected, result.Stdout.Trim());
    }

    [Fact]
    public async Task Run_ThreadBomb_StopsAtTheProcessLimit()
    {
        const string bomb = """
            import threading
            ev = threading.Event(); n = 0
            try:
                while True:
                    threading.Thread(target=ev.wait, daemon=True).start(); n += 1
            except RuntimeError:
                print('threads', n)
                raise
            """;

        var result = await RunAsync(bomb, l => l.MaxProcesses = 8);

        Assert.Equal(SandboxLimit.Processes, result.LimitHit);
        Assert.Equal("threads 7\n", result.Stdout);
    }

    [Fact]
    public async Task Run_SixteenTasksAsAUserWhoAlreadyRunsMany_AreAllowedAndNoMore()
    {
        // A non-root host's user already runs processes and threads; RLIMIT_NPROC counts them all
        // outside a user namespace. Run the jail as a user id with 40 threads running elsewhere.
        var uid = 200_000 + Random.Shared.Next(0, 50_000);
        using var busy = StartAs(uid, "import threading, sys\nev = threading.Event()\nfor _ in range(40): threading.Thread(target=ev.wait, daemon=True).start()\nprint('busy', threading.active_count(), flush=True)\nsys.stdin.read()");
        try
        {
            Assert.Equal("busy 41", await busy.StandardOutput.ReadLineAsync());
            var sandbox = new BubblewrapPythonSandbox(new BubblewrapOptions { WorkRoot = _root.Path }) { UserIdOverride = uid };
            const string code = """
                import threading
                ev = threading.Event(); n = 0
                try:
                    for _ in range(40):
                        threading.Thread(target=ev.wait, daemon=True).start(); n += 1
                except RuntimeError:
                    pass
                print('started', n)
                """;

            var result = await RunAsync(code, sandbox: sandbox);

            Assert.True(result.Succeeded, result.Stderr);
            Assert.Equal("started 15\n", result.Stdout); // 16 tasks with the main thread
        }
        finally
        {
            busy.StandardInput.Close();
            busy.Kill();
            await busy.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Run_TheProcessLimit_CannotBeRaisedFromInside()
    {
        var result = await RunAsync("import resource\nprint(resource.getrlimit(resource.RLIMIT_NPROC))\nresource.setrlimit(resource.RLIMIT_NPROC, (1000, 1000))");

        Assert.StartsWith("(17, 17)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ValueError", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KilledAtTheTimeout_LeavesNoFolderAndNoProcess()
    {
        var marker = Guid.NewGuid().ToString("N");
        var result = await RunAsync($"import subprocess, time\nsubprocess.Popen(['/usr/bin/python3', '-c', 'import time; time.sleep(60) # {marker}'])\nopen('/work/big', 'wb').write(b'x' * 1000)\ntime.sleep(60)", l => l.Timeout = TimeSpan.FromSeconds(1));

        Assert.Equal(SandboxLimit.Time, result.LimitHit);
        Assert.Empty(_root.Entries);
        Assert.Equal(0, await ProcessProbe.CountUntilZeroAsync(marker, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Run_Cancelled_LeavesNoFolderAndNoProcess()
    {
        var marker = Guid.NewGuid().ToString("N");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _sandbox.RunAsync($"import time\ntime.sleep(60) # {marker}", new SandboxLimits(), cancel.Token));

        Assert.Empty(_root.Entries);
        Assert.Equal(0, await ProcessProbe.CountUntilZeroAsync(marker, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Run_FirstRun_SweepsStaleFoldersOfDeadProcessesOnly()
    {
        var old = DateTime.UtcNow - TimeSpan.FromHours(2);
        string Make(string name, DateTime time)
        {
            var path = Path.Combine(_root.Path, name);
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "main.py"), "print(1)");
            Directory.SetLastWriteTimeUtc(path, time);
            return name;
        }

        var deadOld = Make("plansmith-sandbox-999999999-aaaa", old);
        var legacyOld = Make("plansmith-sandbox-Xy12ab", old);
        var deadNew = Make("plansmith-sandbox-999999999-bbbb", DateTime.UtcNow);
        var liveOld = Make($"plansmith-sandbox-{Environment.ProcessId}-cccc", old);
        var otherOld = Make("someone-elses-folder", old);

        var result = await RunAsync("print('ran')");

        Assert.True(result.Succeeded, result.Stderr);
        Assert.Equal(new[] { deadNew, liveOld, otherOld }.Order(StringComparer.Ordinal), _root.Entries.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(deadOld, _root.Entries);
        Assert.DoesNotContain(legacyOld, _root.Entries);
    }

    private static Process StartAs(int uid, string python)
    {
        var start = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", "/usr/bin/python3", "-c", python })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
