using Plansmith.Plugins.Analyze;

namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>
/// Hostile JavaScript: programs that used to end the host (a native stack overflow in Jint's
/// built-ins aborts .NET with exit 134) or overrun the limits. Each must come back as a result with
/// the limit named, and the host must keep running: every case ends with a normal run that works.
/// A regression to in-process JavaScript would crash this test process, failing the whole run.
/// </summary>
public sealed class JavaScriptSandboxContainmentTests
{
    private const string DeepArray = "let a = []; for (let i = 0; i < 300000; i++) a = [a];";
    private const string DeepObject = "let o = {}; for (let i = 0; i < 300000; i++) o = { o };";

    private readonly JintSandbox _sandbox = new();

    private async Task<CodeRunResult> RunAsync(string code, Action<SandboxLimits>? configure = null)
    {
        Assert.True(_sandbox.Unavailable is null, _sandbox.Unavailable);
        var limits = new SandboxLimits();
        configure?.Invoke(limits);
        return await _sandbox.RunAsync(code, limits);
    }

    private async Task AssertTheNextRunWorksAsync()
    {
        var next = await RunAsync("console.log([1, {b: 2}])");
        Assert.True(next.Succeeded, next.Stderr);
        Assert.Equal("[1,{\"b\":2}]\n", next.Stdout);
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(DeepArray + " JSON.stringify(a)")]
    [InlineData(DeepObject + " JSON.stringify(o)")]
    [InlineData(DeepArray + " String(a)")]
    [InlineData(DeepArray + " a.join(',').length")]
    [InlineData(DeepArray + " console.log(a)")]
    [InlineData(DeepArray + " a")]
    [InlineData(DeepObject + " o")]
    [InlineData("let p = {}; for (let i = 0; i < 300000; i++) p = new Proxy(p, {}); p.x")]
    [InlineData("let p = []; for (let i = 0; i < 300000; i++) p = new Proxy(p, {}); JSON.stringify(p)")]
    [InlineData(DeepArray + " `${a}`")]
    public async Task Run_DeepValueThroughBuiltIns_IsAResultAndTheHostSurvives(string code)
    {
        var result = await RunAsync(code);

        Assert.False(result.Succeeded, result.Stdout);
        Assert.True(result.LimitHit == SandboxLimit.Recursion, $"{result.LimitHit} {result.ExitCode} {result.Stderr}");
        Assert.True(result.Stderr.Contains("stack overflow", StringComparison.Ordinal) || result.Stderr.Contains("too deeply", StringComparison.Ordinal), result.Stderr);
        await AssertTheNextRunWorksAsync();
    }

    [Theory]
    [InlineData("function f(x) { return x.map(f); } " + DeepArray + " f(a)")]
    [InlineData("const o = { toString() { return String(this); } }; String(o)")]
    [InlineData("const o = {}; o.valueOf = () => +o; +o")]
    [InlineData("function f(n) { return [n].map(x => f(x + 1)); } f(0)")]
    [InlineData("const p = new Proxy({}, { get(t, k, r) { return r[k]; } }); p.x")]
    public async Task Run_RecursionThroughBuiltIns_StopsAtALimit(string code)
    {
        var result = await RunAsync(code);

        Assert.False(result.Succeeded, result.Stdout);
        Assert.True(result.LimitHit is SandboxLimit.Recursion or SandboxLimit.Statements or null && result.ExitCode != 0, $"{result.LimitHit} {result.ExitCode} {result.Stderr}");
        await AssertTheNextRunWorksAsync();
    }

    [Theory]
    [InlineData("while (true) {}")]
    [InlineData("for (;;) { Math.sqrt(2); }")]
    public async Task Run_TightLoop_StopsAtTheTimeLimit(string code)
    {
        var result = await RunAsync(code, l => { l.Timeout = TimeSpan.FromSeconds(1); l.MaxStatements = int.MaxValue; });

        Assert.Equal(SandboxLimit.Time, result.LimitHit);
        Assert.True(result.Duration < TimeSpan.FromSeconds(6), result.Duration.ToString());
        await AssertTheNextRunWorksAsync();
    }

    [Theory]
    [InlineData("/^(a+)+$/.test('a'.repeat(40) + 'b')")]
    [InlineData("const a = new Array(3e7).fill(1).map((x, i) => i); a.sort((x, y) => y - x); a.reverse().join(',').length")]
    public async Task Run_LongBuiltIn_IsKilledAtTheWallTimeLimit(string code)
    {
        var result = await RunAsync(code, l => { l.Timeout = TimeSpan.FromSeconds(1); l.MaxStatements = int.MaxValue; l.MemoryBytes = 1L << 30; });

        Assert.True(result.LimitHit is SandboxLimit.Time or SandboxLimit.Memory, $"{result.LimitHit} {result.ExitCode} {result.Stderr}");
        Assert.True(result.Duration < TimeSpan.FromSeconds(8), result.Duration.ToString());
        await AssertTheNextRunWorksAsync();
    }

    [Theory]
    [InlineData("const a = []; while (true) a.push(new Array(100000).fill(1.5));")]
    [InlineData("const a = []; while (true) a.push('x'.repeat(1 << 16) + a.length);")]
    [InlineData("const a = []; for (let i = 0; ; i++) a.push(String(i).padStart(64, 'x'));")]
    [InlineData("'x'.repeat(2 ** 28).split('')")]
    [InlineData("new Array(2 ** 26).fill({ a: 1 })")]
    [InlineData("const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });")]
    public async Task Run_MemoryHog_StopsAtTheMemoryLimit(string code)
    {
        var result = await RunAsync(code, l => { l.MemoryBytes = 64L << 20; l.MaxStatements = int.MaxValue; });

        Assert.True(result.LimitHit == SandboxLimit.Memory, $"{result.LimitHit} {result.ExitCode} {result.Stderr}");
        Assert.Contains("64 MiB", result.Stderr, StringComparison.Ordinal);
        await AssertTheNextRunWorksAsync();
    }

    [Fact]
    public async Task Run_LongLoopThatKeepsLittleAlive_IsNotStoppedAsMemory()
    {
        // Allocates far more than the limit in total (Jint's own LimitMemory stopped this at 107 MB
        // of allocations against 256 MiB), but never holds more than a few objects.
        const string code = "let n = 0; for (let i = 0; i < 1500000; i++) { const o = { i, s: 'v' + i, a: [i, i] }; n += o.s.length + o.a.length; } n";

        var result = await RunAsync(code, l => l.MemoryBytes = 16L << 20);

        Assert.True(result.Succeeded, $"{result.LimitHit} {result.Stderr}");
        Assert.Equal("13888890", result.Stdout);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Run_OutputFlood_IsCutAndTheRunStillEnds()
    {
        var result = await RunAsync("while (true) console.log('x'.repeat(1000));", l => { l.MaxOutputChars = 10_000; l.Timeout = TimeSpan.FromSeconds(2); l.MaxStatements = int.MaxValue; });

        Assert.Equal(SandboxLimit.Time, result.LimitHit);
        Assert.True(result.Stdout.Length <= 10_100, result.Stdout.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("[… output cut at the sandbox's limit]", result.Stdout, StringComparison.Ordinal);
        await AssertTheNextRunWorksAsync();
    }

    [Theory]
    [InlineData("function loop() { Promise.resolve().then(loop); } loop();")]
    [InlineData("(async () => { while (true) await null; })();")]
    public async Task Run_EndlessMicrotasks_StopAtALimit(string code)
    {
        var result = await RunAsync(code, l => l.Timeout = TimeSpan.FromSeconds(2));

        Assert.True(result.LimitHit is SandboxLimit.Time or SandboxLimit.Statements, $"{result.LimitHit} {result.ExitCode} {result.Stderr}");
        Assert.True(result.Duration < TimeSpan.FromSeconds(8), result.Duration.ToString());
        await AssertTheNextRunWorksAsync();
    }

    [Fact]
    public async Task Run_PromiseThatNeverSettles_EndsWithTheScript()
    {
        var result = await RunAsync("(async () => { await new Promise(() => {}); console.log('never'); })(); console.log('done');");

        Assert.True(result.Succeeded, result.Stderr);
        Assert.Equal("done\n", result.Stdout);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Run_CrashesInParallel_DoNotDisturbANormalRun()
    {
        var crashes = Enumerable.Range(0, 3).Select(_ => RunAsync(DeepArray + " JSON.stringify(a)")).ToList();
        var normal = RunAsync("[1, 2, 3].map(x => x * 2)");

        var results = await Task.WhenAll(crashes.Append(normal));

        Assert.All(results.Take(3), r => Assert.Equal(SandboxLimit.Recursion, r.LimitHit));
        Assert.Equal("[2,4,6]", results[3].Stdout);
    }

    [Fact]
    public async Task Run_Cancelled_KillsTheWorkerAndRemovesItsFolder()
    {
        using var root = new SandboxFolder();
        var sandbox = new JintSandbox(new BubblewrapOptions { WorkRoot = root.Path });
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));

        // A timeout no other test uses marks this run's worker on its command line.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sandbox.RunAsync("while (true) {}", new SandboxLimits { MaxStatements = int.MaxValue, Timeout = TimeSpan.FromMilliseconds(9_871) }, cancel.Token));

        Assert.Empty(root.Entries);
        Assert.Equal(0, await ProcessProbe.CountUntilZeroAsync("--timeout-ms\09871", TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(DeepArray + " JSON.stringify(a)", SandboxLimit.Recursion)]
    [InlineData("const a = []; while (true) a.push(new Array(100000).fill(1.5));", SandboxLimit.Memory)]
    [InlineData("for (;;) {}", SandboxLimit.Time)]
    public async Task Run_WithoutBubblewrap_IsStillOutOfProcessAndLimited(string code, SandboxLimit expected)
    {
        // As on a machine without bubblewrap (or not Linux): no jail, but still a worker process of its own.
        var sandbox = new JintSandbox(new BubblewrapOptions { BwrapPath = "/nonexistent/bwrap" });
        Assert.Null(sandbox.Unavailable);
        Assert.False(sandbox.Jailed);
        Assert.Contains("bubblewrap", sandbox.Isolation, StringComparison.Ordinal);

        var result = await sandbox.RunAsync(code, new SandboxLimits { MemoryBytes = 64L << 20, Timeout = TimeSpan.FromSeconds(expected == SandboxLimit.Time ? 2 : 10), MaxStatements = int.MaxValue });
        var next = await sandbox.RunAsync("6 * 7", new SandboxLimits());

        Assert.True(result.LimitHit == expected, $"{result.LimitHit} {result.ExitCode} {result.Stderr}");
        Assert.Equal("42", next.Stdout);
    }

    [Fact]
    public async Task Unavailable_WorkerMissing_SaysWhatIsMissing()
    {
        var missing = new JintSandbox(null, Path.Combine(Path.GetTempPath(), "no-such-worker-" + Guid.NewGuid().ToString("N")));

        Assert.Contains("plansmith-sandbox/Plansmith.Sandbox.dll", missing.Unavailable, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SandboxUnavailableException>(() => missing.RunAsync("1", new SandboxLimits()));
    }

    [Fact]
    public void Sandbox_OnLinuxWithBubblewrap_RunsTheWorkerInTheJail()
    {
        Assert.True(_sandbox.Jailed, _sandbox.Isolation);
    }

    [Fact]
    public async Task Run_InTheJail_SeesNoHostFilesNetworkOrEnvironment()
    {
        // Jint has no file API; this proves the worker process itself is jailed, through what Jint can observe.
        var result = await RunAsync("typeof require + ' ' + typeof process + ' ' + typeof fetch");

        Assert.Equal("undefined undefined undefined", result.Stdout);
    }
}
