using System.Text;
using Plansmith.Plugins.Search;

namespace Plansmith.Plugins.Tests.Search;

public sealed class WebSearchTests
{
    private static Task<(int, string, byte[])> Json(string json) => Task.FromResult((200, "application/json", Encoding.UTF8.GetBytes(json)));

    [Fact]
    public async Task Searxng_ReadsResultsFromTheJsonApi()
    {
        await using var server = new TestServer(_ => Json("""{"results": [{"url": "https://a.example/", "title": "A", "content": "About A", "score": 2.5}, {"url": "https://b.example/", "title": "B", "content": "About B"}]}"""));
        using var http = new HttpClient();
        var provider = new SearxngSearchProvider(http, server.BaseAddress);

        var hits = await provider.SearchAsync("flask routing", 5);

        Assert.Equal(["https://a.example/", "https://b.example/"], hits.Select(h => h.Source));
        Assert.Equal(2.5, hits[0].Score);
        Assert.Equal("About B", hits[1].Snippet);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/search", request.Url!.AbsolutePath);
        Assert.Equal("flask routing", request.QueryString["q"]);
        Assert.Equal("json", request.QueryString["format"]);
    }

    [Fact]
    public async Task Searxng_WithoutJsonFormat_SaysHowToEnableIt()
    {
        await using var server = new TestServer(_ => Task.FromResult((200, "text/html", "<html>search page</html>"u8.ToArray())));
        using var http = new HttpClient();

        var ex = await Assert.ThrowsAsync<SearchProviderException>(() => new SearxngSearchProvider(http, server.BaseAddress).SearchAsync("q", 5));

        Assert.Contains("not JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Brave_SendsTheKeyInTheHeaderAndReadsWebResults()
    {
        const string key = "brave-test-key-123";
        await using var server = new TestServer(_ => Json("""{"web": {"results": [{"url": "https://c.example/", "title": "C", "description": "About C"}]}}"""));
        using var http = new HttpClient();
        var provider = new BraveSearchProvider(http, key, new Uri(server.BaseAddress, "res/v1/web/search"));

        var hits = await provider.SearchAsync("fastapi", 3);

        Assert.Equal("https://c.example/", Assert.Single(hits).Source);
        var request = Assert.Single(server.Requests);
        Assert.Equal(key, request.Headers["X-Subscription-Token"]);
        Assert.Equal("3", request.QueryString["count"]);
        Assert.DoesNotContain(key, request.Url!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Brave_ErrorStatus_IsAClearErrorWithoutTheKey()
    {
        const string key = "brave-secret-key-456";
        await using var server = new TestServer(_ => Task.FromResult((429, "application/json", "{}"u8.ToArray())));
        using var http = new HttpClient();

        var ex = await Assert.ThrowsAsync<SearchProviderException>(() => new BraveSearchProvider(http, key, server.BaseAddress).SearchAsync("q", 3));

        Assert.Contains("429", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, ex.Message, StringComparison.Ordinal);
    }
}
