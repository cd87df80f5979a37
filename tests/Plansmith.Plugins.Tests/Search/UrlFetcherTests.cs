using System.Net;
using System.Text;
using Plansmith.Plugins.Search;

namespace Plansmith.Plugins.Tests.Search;

public sealed class UrlFetcherTests
{
    private const string Page = """
        <html><head><title>Release notes</title><style>body{}</style></head>
        <body><nav>Home | Docs | Blog</nav><h1>Release notes</h1><p>Version 2 adds async views.</p>
        <script>alert('x')</script><footer>© Example</footer></body></html>
        """;

    [Fact]
    public async Task Fetch_LoopbackByDefault_IsRefused()
    {
        await using var server = new TestServer(_ => Task.FromResult((200, "text/html", Encoding.UTF8.GetBytes(Page))));
        using var fetcher = new UrlFetcher();

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(server.BaseAddress.ToString()));

        Assert.Contains("internal address", ex.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("file:///etc/passwd", "Only http and https")]
    [InlineData("ftp://example.org/file", "Only http and https")]
    [InlineData("not a url", "not an absolute URL")]
    [InlineData("http://10.1.2.3/", "internal address")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "internal address")]
    [InlineData("http://[::1]/", "internal address")]
    public async Task Fetch_RefusedTargets_SayWhy(string url, string expected)
    {
        using var fetcher = new UrlFetcher(new UrlFetcherOptions { Timeout = TimeSpan.FromSeconds(5) });

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(url));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.20.1.1", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("::ffff:192.168.1.1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("93.184.216.34", false)]
    [InlineData("2606:2800:220:1::1", false)]
    public void IsInternal_ClassifiesAddresses(string address, bool expected)
    {
        Assert.Equal(expected, UrlFetcher.IsInternal(IPAddress.Parse(address)));
    }

    [Fact]
    public async Task Fetch_AllowedPrivate_ReturnsReadableTextWithoutChrome()
    {
        await using var server = new TestServer(_ => Task.FromResult((200, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(Page))));
        using var fetcher = new UrlFetcher(new UrlFetcherOptions { AllowPrivateAddresses = true });

        var text = await fetcher.FetchAsync(server.BaseAddress + "notes");

        Assert.StartsWith("# Release notes", text, StringComparison.Ordinal);
        Assert.Contains("Version 2 adds async views.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Home | Docs", text, StringComparison.Ordinal);
        Assert.DoesNotContain("alert", text, StringComparison.Ordinal);
        Assert.DoesNotContain("©", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_HugePage_IsCutAtTheSizeLimit()
    {
        await using var server = new TestServer(_ => Task.FromResult((200, "text/plain", Encoding.UTF8.GetBytes(new string('a', 3_000_000)))));
        using var fetcher = new UrlFetcher(new UrlFetcherOptions { AllowPrivateAddresses = true, MaxBytes = 100_000, MaxChars = 1_000_000 });

        var text = await fetcher.FetchAsync(server.BaseAddress.ToString());

        Assert.True(text.Length < 100_100);
        Assert.EndsWith("[… page cut at the size limit]", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_SlowServer_TimesOutWithAClearMessage()
    {
        using var release = new CancellationTokenSource();
        await using var server = new TestServer(async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), release.Token).ContinueWith(_ => { });
            return (200, "text/plain", "late"u8.ToArray());
        });
        using var fetcher = new UrlFetcher(new UrlFetcherOptions { AllowPrivateAddresses = true, Timeout = TimeSpan.FromMilliseconds(300) });

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(server.BaseAddress.ToString()));

        Assert.Contains("did not answer within", ex.Message, StringComparison.Ordinal);
        await release.CancelAsync();
    }

    [Fact]
    public async Task Fetch_BinaryContent_IsRefused()
    {
        await using var server = new TestServer(_ => Task.FromResult((200, "image/png", new byte[] { 1, 2, 3 })));
        using var fetcher = new UrlFetcher(new UrlFetcherOptions { AllowPrivateAddresses = true });

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(server.BaseAddress.ToString()));

        Assert.Contains("image/png, not a text page", ex.Message, StringComparison.Ordinal);
    }
}
