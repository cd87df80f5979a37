using Plansmith.Plugins.Search;

namespace Plansmith.Plugins.Rerank.Tests;

public sealed class MiniLmRerankerTests
{
    private static SearchHit Hit(string text) => new("x.md", "x", 1, text, text);

    [Fact]
    public async Task RerankAsync_WithBundledMiniLm_PutsTheMeaningfulPassageFirst()
    {
        using var reranker = new MiniLmReranker();

        var ranked = await reranker.RerankAsync(
            "how do I save my changes to the database?",
            [Hit("Templates render HTML from variables."), Hit("Commit the session to persist modifications."), Hit("Routes map URLs to functions.")],
            2);

        Assert.Equal(2, ranked.Count);
        Assert.Equal("Commit the session to persist modifications.", ranked[0].Text);
        Assert.True(ranked[0].Score > ranked[1].Score);
    }

    [Fact]
    public void Load_FolderWithTheRerankAssembly_CreatesTheMiniLmReranker()
    {
        var reranker = RerankerLoader.Load(AppContext.BaseDirectory);
        try
        {
            Assert.Equal(nameof(MiniLmReranker), reranker.GetType().Name);
            Assert.Equal(RerankerLoader.AssemblyFileName, Path.GetFileName(reranker.GetType().Assembly.Location));
        }
        finally
        {
            (reranker as IDisposable)?.Dispose();
        }
    }
}
