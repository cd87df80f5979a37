using System.Text.Json;

namespace Plansmith.Cli.Tests.Commands;

public sealed class CliCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("plansmith-cli-").FullName;

    public CliCommandTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "docs"));
        File.WriteAllText(Path.Combine(_root, "docs", "a.md"), "alpha document");
        File.WriteAllText(Path.Combine(_root, "docs", "b.md"), "beta document");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string WritePlan(string json)
    {
        var path = Path.Combine(_root, "plan.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Execute_ValidPlan_PrintsProgressAndExitsZero()
    {
        var plan = WritePlan("""
            {"steps": [
              {"id": "list", "description": "List docs", "tool": "files.list", "arguments": {"pattern": "*.md"}},
              {"id": "read", "description": "Read the second", "dependencies": ["list"], "tool": "files.read", "arguments": {"path": "${list[1].path}"}}
            ]}
            """);

        var (exit, output, _) = await RunAsync("execute", plan, "--root", _root);

        Assert.Equal(0, exit);
        Assert.Contains("Plan of 2 steps", output, StringComparison.Ordinal);
        Assert.Contains("(step 2 of 2)", output, StringComparison.Ordinal);
        Assert.Contains("✓ read", output, StringComparison.Ordinal);
        Assert.Contains("beta document", output, StringComparison.Ordinal);
        Assert.Contains("Run completed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_Json_PrintsTheRunResultAsJsonOnStdout()
    {
        var plan = WritePlan("""{"steps": [{"id": "r", "description": "Read", "tool": "files.read", "arguments": {"path": "docs/a.md"}}]}""");

        var (exit, output, error) = await RunAsync("execute", plan, "--root", _root, "--json");

        Assert.Equal(0, exit);
        using var document = JsonDocument.Parse(output);
        Assert.Equal("completed", document.RootElement.GetProperty("status").GetString());
        var step = document.RootElement.GetProperty("steps")[0];
        Assert.Equal("alpha document", step.GetProperty("output").GetString());
        Assert.Equal(1, step.GetProperty("attempts").GetInt32());
        Assert.True(step.TryGetProperty("started_at", out _));
        Assert.Equal("files.read", document.RootElement.GetProperty("plan").GetProperty("steps")[0].GetProperty("tool").GetString());
        Assert.Contains("Plan of 1 steps", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_FailingStep_ExitsOneAndReportsSkips()
    {
        var plan = WritePlan("""
            {"steps": [
              {"id": "missing", "description": "Read a missing file", "tool": "files.read", "arguments": {"path": "docs/none.md"}},
              {"id": "after", "description": "Needs it", "dependencies": ["missing"], "tool": "files.read", "arguments": {"path": "docs/a.md"}}
            ]}
            """);

        var (exit, output, _) = await RunAsync("execute", plan, "--root", _root);

        Assert.Equal(1, exit);
        Assert.Contains("✗ missing", output, StringComparison.Ordinal);
        Assert.Contains("– after  skipped", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_InvalidPlan_ListsEveryProblemAndExitsTwo()
    {
        var plan = WritePlan("""
            {"steps": [
              {"id": "a", "description": "x", "dependencies": ["b"]},
              {"id": "b", "description": "y", "dependencies": ["a"]},
              {"id": "c", "description": "z", "tool": "files.reed", "arguments": {"path": "p"}}
            ]}
            """);

        var (exit, _, error) = await RunAsync("validate", plan, "--root", _root);

        Assert.Equal(2, exit);
        Assert.Contains("2 problems", error, StringComparison.Ordinal);
        Assert.Contains("a → b → a", error, StringComparison.Ordinal);
        Assert.Contains("Did you mean 'files.read'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ProseInsteadOfJson_SaysWhatToSend()
    {
        var plan = WritePlan("I would search first, then summarize.");

        var (exit, _, error) = await RunAsync("validate", plan, "--root", _root);

        Assert.Equal(2, exit);
        Assert.Contains("holds no valid JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_MissingPlanFile_NamesIt()
    {
        var (exit, _, error) = await RunAsync("execute", Path.Combine(_root, "nope.json"), "--root", _root);

        Assert.Equal(2, exit);
        Assert.Contains("nope.json", error, StringComparison.Ordinal);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_ZeroParallelism_IsRejectedByTheParser()
    {
        var plan = WritePlan("""{"steps": [{"id": "a", "description": "x"}]}""");

        var (exit, _, error) = await RunAsync("execute", plan, "--root", _root, "--max-parallel", "0");

        Assert.Equal(2, exit);
        Assert.Contains("--max-parallel must be from 1 to 10,000; 0 is out of range", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tools_Json_ListsFunctionsWithParameters()
    {
        var (exit, output, _) = await RunAsync("tools", "--root", _root, "--json");

        Assert.Equal(0, exit);
        using var document = JsonDocument.Parse(output);
        var read = document.RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "files.read");
        Assert.Contains(read.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "path" && p.GetProperty("required").GetBoolean());
    }
}
