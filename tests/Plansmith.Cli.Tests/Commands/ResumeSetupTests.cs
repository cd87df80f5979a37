using Microsoft.Data.Sqlite;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary><c>resume</c> carries on with the model, endpoint, corpus, root and prompts the run started with.</summary>
public sealed class ResumeSetupTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-resume-setup-").FullName;
    private readonly string _corpus;

    public ResumeSetupTests()
    {
        _corpus = Path.Combine(_work, "corpus");
        Directory.CreateDirectory(_corpus);
        File.WriteAllText(Path.Combine(_corpus, "apples.md"), "# Apples\nApples grow on trees.");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Resume_WithoutFlags_ReusesTheRunsEndpointModelCorpusAndRoot()
    {
        var model = Model();
        await using var server = new LoopbackOpenAIServer(model);
        var store = Path.Combine(_work, "runs.db");
        var runId = await FailedRunAsync(server, store);
        var before = model.Requests.Count;

        // From another folder, with no provider flags and no key: the run's own model must be used.
        var elsewhere = Directory.CreateTempSubdirectory("plansmith-elsewhere-").FullName;
        try
        {
            var (_, _, error) = await CliProcess.RunAsync(elsewhere, null, "resume", runId, "--store", store);
            Assert.Contains("Reusing the run's setup: model gpt-test at", error, StringComparison.Ordinal);
            Assert.Contains("corpus " + _corpus, error, StringComparison.Ordinal);
            Assert.Contains("root " + _work, error, StringComparison.Ordinal);
            Assert.DoesNotContain("offline", error, StringComparison.Ordinal);
            Assert.True(model.Requests.Count > before, "the resumed run made no request to the run's endpoint: " + error);
            Assert.All(model.Requests.Skip(before), r => Assert.Equal("gpt-test", r.Json["model"]!.GetValue<string>()));
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public async Task Resume_WithADifferentModelFlag_WarnsAndUsesTheFlag()
    {
        var model = Model();
        await using var server = new LoopbackOpenAIServer(model);
        var store = Path.Combine(_work, "runs.db");
        var runId = await FailedRunAsync(server, store);
        var before = model.Requests.Count;
        var (_, _, error) = await CliProcess.RunAsync(_work, null, "resume", runId, "--store", store, "--offline");
        Assert.Contains("warning: the run started with gpt-test at", error, StringComparison.Ordinal);
        Assert.Contains("continuing with the offline model", error, StringComparison.Ordinal);
        Assert.Equal(before, model.Requests.Count);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Resume_WithADifferentCorpus_WarnsAndUsesTheFlag()
    {
        var model = Model();
        await using var server = new LoopbackOpenAIServer(model);
        var store = Path.Combine(_work, "runs.db");
        var runId = await FailedRunAsync(server, store);
        var other = Path.Combine(_work, "other");
        Directory.CreateDirectory(other);
        var (_, _, error) = await CliProcess.RunAsync(_work, null, "resume", runId, "--store", store, "--corpus", other);
        Assert.Contains($"warning: the run started with corpus {_corpus}; continuing with --corpus {other}", error, StringComparison.Ordinal);
        Assert.Contains("Reusing the run's setup: model gpt-test", error, StringComparison.Ordinal);
    }

    private static ScriptedModel Model() => new(r => r.Prompt switch
    {
        "route" => ModelReply.Json(new { plan = true, answer = "" }),
        "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Search", tool = "search.search", arguments = new { query = "apples" } }, new { id = "s2", description = "Read", tool = "files.read", arguments = new { path = "missing.md" }, dependencies = new[] { "s1" } } } }),
        "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
        _ => new ModelReply("Apples grow on trees."),
    });

    private async Task<string> FailedRunAsync(LoopbackOpenAIServer server, string store)
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "gpt-test", "--corpus", _corpus, "--root", _work, "--store", store, "--max-replans", "0", "Tell me about apples");
        Assert.True(exit == 1, $"exit {exit}: {error}");
        var marker = "· run ";
        var at = error.LastIndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, error);
        return error[(at + marker.Length)..].Trim().Split(' ', '\n')[0];
    }
}
