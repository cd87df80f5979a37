using Plansmith.Plugins.Analyze;

namespace Plansmith.Plugins.Tests.Analyze;

/// <summary>
/// These run real code in a real bubblewrap jail. They need Linux with bubblewrap installed
/// (.ci/run installs it; elsewhere: apt-get install bubblewrap) and fail, saying so, without it.
/// </summary>
public sealed class BubblewrapPythonSandboxTests
{
    private readonly BubblewrapPythonSandbox _sandbox = new();

    private async Task<CodeRunResult> RunAsync(string code, Action<SandboxLimits>? configure = null)
    {
        Assert.True(_sandbox.Unavailable is null, _sandbox.Unavailable);
        var limits = new SandboxLimits { Timeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(limits);
        return await _sandbox.RunAsync(code, limits);
    }

    [Fact]
    public async Task Run_SimpleScript_PrintsAndExitsZero()
    {
        var result = await RunAsync("import json, statistics\nprint(json.dumps({'mean': statistics.mean([1, 2, 3, 6])}))");

        Assert.True(result.Succeeded, result.Stderr);
        Assert.Equal("{\"mean\": 3}\n", result.Stdout);
    }

    [Fact]
    public async Task Run_ScriptError_IsStderrAndNonZeroExit()
    {
        var result = await RunAsync("raise ValueError('bad data')");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ValueError: bad data", result.Stderr, StringComparison.Ordinal);
        Assert.Null(result.LimitHit);
    }

    [Fact]
    public async Task Run_InfiniteLoop_IsKilledAtTheTimeout()
    {
        var result = await RunAsync("while True:\n    pass", l => l.Timeout = TimeSpan.FromSeconds(1));

        Assert.Equal(SandboxLimit.Time, result.LimitHit);
        Assert.True(result.Duration < TimeSpan.FromSeconds(8), result.Duration.ToString());
    }

    [Fact]
    public async Task Run_SleepingChild_IsKilledWithTheWholeSandbox()
    {
        var marker = Guid.NewGuid().ToString("N");
        var result = await RunAsync($"import subprocess, time\nsubprocess.Popen(['/usr/bin/python3', '-c', 'import time; time.sleep(60) # {marker}'])\ntime.sleep(60)", l => l.Timeout = TimeSpan.FromSeconds(1));

        Assert.Equal(SandboxLimit.Time, result.LimitHit);
        var survivors = await ProcessProbe.CountUntilZeroAsync(marker, TimeSpan.FromSeconds(5));
        Assert.Equal(0, survivors);
    }

    [Fact]
    public async Task Run_MemoryBomb_IsStoppedAtTheMemoryLimit()
    {
        var result = await RunAsync("x = []\nwhile True:\n    x.append(bytearray(10_000_000))", l => l.MemoryBytes = 128L << 20);

        Assert.True(result.LimitHit == SandboxLimit.Memory, $"{result.LimitHit} {result.ExitCode} {result.Stderr}");
        Assert.Contains("MemoryError", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ForkBomb_IsContainedAtTheProcessLimit()
    {
        const string bomb = """
            import os, time
            children = 0
            try:
                while True:
                    if os.fork() == 0:
                        time.sleep(5)
                        os._exit(0)
                    children += 1
            except BlockingIOError as e:
                print('stopped after', children)
                raise
            """;

        var result = await RunAsync(bomb, l => { l.MaxProcesses = 8; l.Timeout = TimeSpan.FromSeconds(3); });

        Assert.True(result.LimitHit is SandboxLimit.Processes or SandboxLimit.Time, $"{result.LimitHit} {result.ExitCode} {result.Stdout} {result.Stderr}");
        Assert.Contains("stopped after", result.Stdout, StringComparison.Ordinal);
        var children = int.Parse(result.Stdout.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(children < 8, $"{children} children");
    }

    [Fact]
    public async Task Run_HugeOutput_IsCutAndReported()
    {
        var result = await RunAsync("for i in range(200000):\n    print('line', i)", l => l.MaxOutputChars = 2000);

        Assert.Equal(SandboxLimit.Output, result.LimitHit);
        Assert.True(result.Stdout.Length < 2100);
    }

    [Fact]
    public async Task Run_BigFile_StopsAtTheFileSizeLimit()
    {
        var result = await RunAsync("with open('big.bin', 'wb') as f:\n    f.write(b'x' * 5_000_000)", l => l.MaxFileBytes = 1 << 20);

        Assert.Equal(SandboxLimit.FileSize, result.LimitHit);
    }

    [Fact]
    public async Task Run_FilesOutsideTheWorkDirectory_AreNotReachable()
    {
        const string probe = """
            import os
            for path in ['/etc/passwd', '/root', '/home', os.path.expanduser('~/.nuget')]:
                print(path, os.path.exists(path))
            try:
                open('/usr/evil.txt', 'w').write('x')
                print('usr writable')
            except OSError as e:
                print('usr read-only', e.errno)
            open('/work/ok.txt', 'w').write('fine')
            print('work writable', open('/work/ok.txt').read())
            """;

        var result = await RunAsync(probe);

        Assert.True(result.Succeeded, result.Stderr);
        Assert.Contains("/etc/passwd False", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("/root False", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("usr read-only", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("work writable fine", result.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists("/usr/evil.txt"));
    }

    [Fact]
    public async Task Run_Network_IsUnreachable()
    {
        const string probe = """
            import socket
            try:
                socket.create_connection(('127.0.0.1', 22), timeout=2)
                print('connected')
            except OSError as e:
                print('blocked', type(e).__name__)
            """;

        var result = await RunAsync(probe);

        Assert.Contains("blocked", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_HostEnvironment_IsNotVisible()
    {
        const string secret = "sk-plansmith-test-secret-value";
        // The secret stands in for one in the host's environment; the test process's own stays untouched.
        var sandbox = new BubblewrapPythonSandbox { HostEnvironmentForTests = new Dictionary<string, string> { ["PLANSMITH_TEST_API_KEY"] = secret } };
        Assert.True(sandbox.Unavailable is null, sandbox.Unavailable);

        var result = await sandbox.RunAsync("import os\nprint(sorted(os.environ))\nprint(open('/proc/1/environ','rb').read())", new SandboxLimits { Timeout = TimeSpan.FromSeconds(10) });

        Assert.DoesNotContain(secret, result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("PLANSMITH_TEST_API_KEY", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unavailable_MissingBwrap_SaysWhatToInstall()
    {
        var sandbox = new BubblewrapPythonSandbox(new BubblewrapOptions { BwrapPath = "/nonexistent/bwrap" });

        Assert.Contains("apt-get install bubblewrap", sandbox.Unavailable, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SandboxUnavailableException>(() => sandbox.RunAsync("print(1)", new SandboxLimits()));
    }

    [Fact]
    public void Unavailable_PythonOutsideUsr_SaysHowToFix()
    {
        var sandbox = new BubblewrapPythonSandbox(new BubblewrapOptions { PythonPath = "/bin/sh" });

        Assert.NotNull(sandbox.Unavailable);
    }
}
