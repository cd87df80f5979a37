using System.Text;
using Plansmith.Plugins.Search;

namespace Plansmith.Plugins.Tests.Search;

public sealed class LocalSearchIndexTests : IDisposable
{
    private readonly string _corpus = Directory.CreateTempSubdirectory("plansmith-corpus-").FullName;
    private readonly string _index = Directory.CreateTempSubdirectory("plansmith-index-").FullName;

    public LocalSearchIndexTests()
    {
        Write("guide/routing.md", "# Routing\n\nFlask maps URLs to view functions with the route decorator.\n\n## Variables\n\nRoute variables are written in angle brackets and passed to the view.");
        Write("guide/templates.txt", "Templates\n\nJinja templates render HTML from context variables. Template inheritance lets pages share a layout.");
        Write("site/page.html", """
            <html><head><title>Database access</title><script>var tracking = 'routing routing routing';</script></head>
            <body><nav><a href="/">Home</a> | <a href="/routing">Routing</a></nav>
            <div class="related">Previous: Routing</div>
            <h1>Database access</h1><p>Use SQLAlchemy sessions to query the database.</p>
            <h2>Transactions</h2><p>Commit the session to save changes; roll back on errors.</p>
            <footer>Copyright routing</footer></body></html>
            """);
        Write("src/app.py", "def create_app():\n    app = Flask(__name__)\n    register_blueprints(app)\n    return app\n");
    }

    public void Dispose()
    {
        Directory.Delete(_corpus, recursive: true);
        Directory.Delete(_index, recursive: true);
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_corpus, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private LocalSearchIndex Index() => new(new LocalCorpusOptions { CorpusDirectory = _corpus, IndexDirectory = _index });

    [Fact]
    public async Task Search_FindsPassagesWithSourceTitleScoreAndSnippet()
    {
        using var index = Index();

        var hits = await index.SearchAsync("route variables angle brackets", 3);

        var best = hits[0];
        Assert.Equal("guide/routing.md", best.Source);
        Assert.Equal("Routing — Variables", best.Title);
        Assert.True(best.Score > 0);
        Assert.Contains("angle brackets", best.Snippet, StringComparison.Ordinal);
        Assert.DoesNotContain("view functions", best.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_Html_StripsNavigationScriptsAndFooters()
    {
        using var index = Index();

        var hits = await index.SearchAsync("routing", 10);
        var database = await index.SearchAsync("commit session transactions", 1);

        Assert.DoesNotContain(hits, h => h.Source == "site/page.html");
        Assert.Equal("site/page.html", database[0].Source);
        Assert.Equal("Database access — Transactions", database[0].Title);
    }

    [Fact]
    public async Task Search_SourceFiles_AreIndexed()
    {
        using var index = Index();

        var hits = await index.SearchAsync("register_blueprints create_app", 1);

        Assert.Equal("src/app.py", hits[0].Source);
    }

    [Fact]
    public async Task Update_SecondIndexOverSameFolder_ReadsNothingAgain()
    {
        using (var first = Index())
        {
            var update = await first.UpdateAsync();
            Assert.Equal(4, update.Indexed);
        }

        using var second = Index();
        var again = await second.UpdateAsync();

        Assert.Equal(0, again.Indexed);
        Assert.Equal(4, again.Unchanged);
        Assert.NotEmpty(await second.SearchAsync("jinja", 1));
    }

    [Fact]
    public async Task Update_ChangedAndDeletedFiles_OnlyThoseAreRedone()
    {
        using var index = Index();
        await index.UpdateAsync();

        Write("guide/templates.txt", "Templates\n\nMako is another template engine with a different syntax.");
        File.SetLastWriteTimeUtc(Path.Combine(_corpus, "guide/templates.txt"), DateTime.UtcNow.AddMinutes(1));
        File.Delete(Path.Combine(_corpus, "src/app.py"));
        var update = await index.UpdateAsync();

        Assert.Equal(1, update.Indexed);
        Assert.Equal(1, update.Removed);
        Assert.Equal(2, update.Unchanged);
        Assert.Empty(await index.SearchAsync("jinja inheritance", 5));
        Assert.Equal("guide/templates.txt", (await index.SearchAsync("mako", 1))[0].Source);
        Assert.Empty(await index.SearchAsync("register_blueprints", 5));
    }

    [Fact]
    public async Task Update_BadFiles_AreSkippedWithReasonsNeverFatal()
    {
        File.WriteAllBytes(Path.Combine(_corpus, "binary.txt"), [0x50, 0x4B, 0x00, 0x01, 0x02]);
        File.WriteAllBytes(Path.Combine(_corpus, "latin1.txt"), Encoding.Latin1.GetBytes("Café crème brûlée recipe"));
        File.WriteAllText(Path.Combine(_corpus, "huge.md"), new string('x', 200_000));
        File.CreateSymbolicLink(Path.Combine(_corpus, "dangling.md"), Path.Combine(_corpus, "nowhere.md"));
        File.WriteAllText(Path.Combine(_corpus, "empty.md"), string.Empty);
        File.WriteAllBytes(Path.Combine(_corpus, "image.png"), [1, 2, 3]);
        using var index = new LocalSearchIndex(new LocalCorpusOptions { CorpusDirectory = _corpus, IndexDirectory = _index, MaxFileBytes = 100_000 });

        var update = await index.UpdateAsync();

        Assert.Contains(update.Skipped, s => s.StartsWith("binary.txt: binary", StringComparison.Ordinal));
        Assert.Contains(update.Skipped, s => s.StartsWith("huge.md: larger than", StringComparison.Ordinal));
        Assert.Contains(update.Skipped, s => s.StartsWith("dangling.md", StringComparison.Ordinal));
        Assert.Equal("latin1.txt", (await index.SearchAsync("crème brûlée", 1))[0].Source);
    }

    [Fact]
    public async Task Search_OnlyStopWordsOrEmptyOrSyntax_ReturnsNothingWithoutThrowing()
    {
        using var index = Index();

        Assert.Empty(await index.SearchAsync("the of and a", 5));
        Assert.Empty(await index.SearchAsync("   ", 5));
        Assert.NotNull(await index.SearchAsync("title:(\"unbalanced AND OR ~ ^ [ {", 5));
    }

    [Fact]
    public async Task Search_EmptyCorpus_ReturnsNothing()
    {
        var empty = Directory.CreateTempSubdirectory("plansmith-empty-").FullName;
        try
        {
            using var index = new LocalSearchIndex(new LocalCorpusOptions { CorpusDirectory = empty, IndexDirectory = Path.Combine(_index, "empty") });

            Assert.Empty(await index.SearchAsync("anything", 5));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void Constructor_MissingCorpus_SaysWhatToDo()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => new LocalSearchIndex(new LocalCorpusOptions { CorpusDirectory = Path.Combine(_corpus, "missing") }));

        Assert.Contains("--corpus", ex.Message, StringComparison.Ordinal);
    }
}
