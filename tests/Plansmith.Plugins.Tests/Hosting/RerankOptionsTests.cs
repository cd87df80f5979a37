using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Plugins.Hosting;
using Plansmith.Plugins.Search;

namespace Plansmith.Plugins.Tests.Hosting;

/// <summary>Reranking is opt-in and ships separately: asking for it without it is a clear error.</summary>
public sealed class RerankOptionsTests : IDisposable
{
    private readonly string _corpus = Directory.CreateTempSubdirectory("plansmith-rerank-").FullName;
    private readonly string _index = Directory.CreateTempSubdirectory("plansmith-rerank-index-").FullName;
    private readonly PromptLibrary _prompts = new();

    public RerankOptionsTests()
    {
        File.WriteAllText(Path.Combine(_corpus, "a.md"), "# Apples\n\nApples are crisp fruit.");
        File.WriteAllText(Path.Combine(_corpus, "b.md"), "# Pears\n\nPears are soft fruit.");
    }

    public void Dispose()
    {
        _prompts.Dispose();
        Directory.Delete(_corpus, recursive: true);
        Directory.Delete(_index, recursive: true);
    }

    [Fact]
    public void AddPlansmithPlugins_RerankWithoutReranker_NamesThePackageAndHowToAddIt()
    {
        var kernel = new Kernel();

        var ex = Assert.Throws<RerankerUnavailableException>(() => kernel.Plugins.AddPlansmithPlugins(new PlansmithPluginsOptions { CorpusDirectory = _corpus, IndexDirectory = _index, Rerank = true }, _prompts));

        Assert.Contains("Plansmith.Plugins.Rerank", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet publish src/Rerank", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Plansmith:RerankerPath", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Reranker = new MiniLmReranker()", ex.Message, StringComparison.Ordinal);
        Assert.Empty(kernel.Plugins);
    }

    [Fact]
    public void AddPlansmithPlugins_RerankerPathWithoutTheAssembly_NamesTheFolderAndTheFix()
    {
        var empty = Directory.CreateTempSubdirectory("plansmith-rerank-empty-").FullName;
        try
        {
            var ex = Assert.Throws<RerankerUnavailableException>(() => new Kernel().Plugins.AddPlansmithPlugins(new PlansmithPluginsOptions { Rerank = true, RerankerPath = empty }, _prompts));

            Assert.Contains(empty, ex.Message, StringComparison.Ordinal);
            Assert.Contains(RerankerLoader.AssemblyFileName, ex.Message, StringComparison.Ordinal);
            Assert.Contains("dotnet publish src/Rerank", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task Search_WithAGivenReranker_ReturnsItsOrder()
    {
        var kernel = new Kernel();
        using var resources = kernel.Plugins.AddPlansmithPlugins(new PlansmithPluginsOptions { CorpusDirectory = _corpus, IndexDirectory = _index, EnableFetch = false, Reranker = new PearsFirst() }, _prompts);

        var result = await kernel.InvokeAsync("search", "search", new() { ["query"] = "crisp apples fruit", ["top"] = 2 });

        using var json = JsonDocument.Parse(result.GetValue<string>()!);
        var first = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement[0] : json.RootElement.EnumerateObject().First(p => p.Value.ValueKind == JsonValueKind.Array).Value[0];
        Assert.Contains("Pears", first.GetRawText(), StringComparison.Ordinal);
    }

    private sealed class PearsFirst : ISemanticReranker
    {
        public Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, int top, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<SearchHit>>([.. hits.OrderByDescending(h => h.Text.Contains("Pears", StringComparison.Ordinal)).Take(top)]);
    }
}
