using Plansmith.Plugins.Analyze;

namespace Plansmith.Plugins.Tests.Analyze;

public sealed class JintSandboxTests
{
    private readonly JintSandbox _sandbox = new();

    private Task<CodeRunResult> RunAsync(string code, Action<SandboxLimits>? configure = null)
    {
        var limits = new SandboxLimits();
        configure?.Invoke(limits);
        return _sandbox.RunAsync(code, limits);
    }

    [Fact]
    public async Task Run_ConsoleLogAndObjects_AreStdout()
    {
        var result = await RunAsync("const xs = [3, 1, 2].sort(); console.log('sorted', xs); console.log({a: 1});");

        Assert.True(result.Succeeded);
        Assert.Equal("sorted [1,2,3]\n{\"a\":1}\n", result.Stdout);
        Assert.Equal("javascript", result.Language);
    }

    [Fact]
    public async Task Run_LastExpressionWithoutPrinting_IsTheOutput()
    {
        var result = await RunAsync("[1, 2, 3].map(x => x * 2)");

        Assert.Equal("[2,4,6]", result.Stdout);
    }

    [Fact]
    public async Task Run_InfiniteLoop_StopsAtTheStatementLimit()
    {
        var result = await RunAsync("while (true) {}", l => l.MaxStatements = 100_000);

        Assert.True(SandboxLimit.Statements == result.LimitHit, result.Stderr);
        Assert.NotEqual(0, result.ExitCode);
    }

    [Fact]
    public async Task Run_InfiniteLoop_StopsAtTheTimeLimit()
    {
        var result = await RunAsync("while (true) {}", l => l.Timeout = TimeSpan.FromMilliseconds(200));

        Assert.Equal(SandboxLimit.Time, result.LimitHit);
        Assert.Contains("ran longer than", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MemoryBomb_StopsAtTheMemoryLimit()
    {
        var result = await RunAsync("const a = []; while (true) { a.push('x'.repeat(1 << 16)); }", l => l.MemoryBytes = 32L << 20);

        Assert.Equal(SandboxLimit.Memory, result.LimitHit);
    }

    [Fact]
    public async Task Run_DeepRecursion_StopsAtTheRecursionLimit()
    {
        var result = await RunAsync("function f(n) { return f(n + 1); } f(0);");

        Assert.Equal(SandboxLimit.Recursion, result.LimitHit);
    }

    [Fact]
    public async Task Run_HugeOutput_IsCutAndReported()
    {
        var result = await RunAsync("for (let i = 0; i < 100000; i++) console.log('line ' + i);", l => l.MaxOutputChars = 1000);

        Assert.Equal(SandboxLimit.Output, result.LimitHit);
        Assert.True(result.Stdout.Length < 1100);
        Assert.EndsWith("[… output cut at the sandbox's limit]", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("System.IO.File.ReadAllText('/etc/passwd')")]
    [InlineData("importNamespace('System.IO')")]
    [InlineData("require('fs').readFileSync('/etc/passwd')")]
    [InlineData("process.env")]
    [InlineData("fetch('http://127.0.0.1/')")]
    public async Task Run_HostAccess_IsNotThere(string code)
    {
        var result = await RunAsync(code);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not defined", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ScriptErrorAndSyntaxError_AreReported()
    {
        var thrown = await RunAsync("throw new Error('bad data')");
        var syntax = await RunAsync("let = = 1");

        Assert.Contains("bad data", thrown.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, syntax.ExitCode);
        Assert.Contains("SyntaxError", syntax.Stderr, StringComparison.Ordinal);
    }
}
