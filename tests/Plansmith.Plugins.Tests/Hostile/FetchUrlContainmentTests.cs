using System.Net;
using System.Net.Sockets;
using Plansmith.Plugins.Search;

namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>
/// Hostile targets for fetch_url: every special-purpose address range, names that resolve to them,
/// sockets that end up somewhere else than resolution said, DNS rebinding, redirects to other
/// schemes or internal addresses, and proxies. Nothing here connects anywhere but 127.0.0.1: public
/// addresses are only classified, or claimed by a fake resolver and routed to a loopback listener.
/// </summary>
public sealed class FetchUrlContainmentTests
{
    private const string Public = "93.184.216.34";
    private static readonly IPNetwork[] LoopbackOnly = [IPNetwork.Parse("127.0.0.1/32")];

    [Theory]
    // IPv4 special-purpose registry, each range at its edges.
    [InlineData("0.0.0.0")]
    [InlineData("0.255.255.255")]
    [InlineData("10.0.0.0")]
    [InlineData("10.255.255.255")]
    [InlineData("100.64.0.0")]
    [InlineData("100.127.255.255")]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("169.254.169.254")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.0.0.9")]
    [InlineData("192.0.0.170")]
    [InlineData("192.0.2.1")]
    [InlineData("192.31.196.1")]
    [InlineData("192.52.193.1")]
    [InlineData("192.88.99.1")]
    [InlineData("192.168.0.1")]
    [InlineData("192.175.48.1")]
    [InlineData("198.18.0.1")]
    [InlineData("198.19.255.255")]
    [InlineData("198.51.100.7")]
    [InlineData("203.0.113.9")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    // IPv6 special-purpose registry and everything outside 2000::/3.
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::127.0.0.1")]
    [InlineData("::93.184.216.34")]
    [InlineData("64:ff9b::a00:1")]
    [InlineData("64:ff9b::5db8:d822")]
    [InlineData("64:ff9b:1::1")]
    [InlineData("100::1")]
    [InlineData("2001::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    [InlineData("2001:1::1")]
    [InlineData("2001:2::1")]
    [InlineData("2001:3::1")]
    [InlineData("2001:10::1")]
    [InlineData("2001:20::1")]
    [InlineData("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("2001:db8::1")]
    [InlineData("2002:7f00:1::1")]
    [InlineData("2002:5db8:d822::1")]
    [InlineData("3fff::1")]
    [InlineData("5f00::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("fe80::1%2")]
    [InlineData("fec0::1")]
    [InlineData("ff02::1")]
    [InlineData("4000::1")]
    [InlineData("1::1")]
    [InlineData("::ffff:0:7f00:1")]
    public void Classify_SpecialPurposeAddress_IsRefused(string address)
    {
        var ip = IPAddress.Parse(address);

        Assert.NotNull(AddressPolicy.Classify(ip));
        Assert.True(UrlFetcher.IsInternal(ip));
        Assert.NotNull(AddressPolicy.Refusal(ip, allowPrivate: false, [], () => []));
    }

    [Theory]
    [InlineData(Public)]
    [InlineData("1.1.1.1")]
    [InlineData("8.8.8.8")]
    [InlineData("9.255.255.255")]
    [InlineData("11.0.0.0")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("126.255.255.255")]
    [InlineData("128.0.0.0")]
    [InlineData("169.253.255.255")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("192.0.1.1")]
    [InlineData("192.0.3.1")]
    [InlineData("192.88.98.1")]
    [InlineData("192.167.255.255")]
    [InlineData("192.169.0.0")]
    [InlineData("198.17.255.255")]
    [InlineData("198.20.0.0")]
    [InlineData("223.255.255.255")]
    [InlineData("::ffff:93.184.216.34")]
    [InlineData("2000::1")]
    [InlineData("2001:200::1")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001::1")]
    [InlineData("2003::1")]
    [InlineData("3ffe::1")]
    [InlineData("3fff:1000::1")]
    public void Classify_PublicUnicastAddress_IsAllowed(string address)
    {
        var ip = IPAddress.Parse(address);

        Assert.Null(AddressPolicy.Classify(ip));
        Assert.False(UrlFetcher.IsInternal(ip));
        Assert.Null(AddressPolicy.Refusal(ip, allowPrivate: false, [], () => []));
    }

    [Theory]
    [InlineData(Public, Public)]
    [InlineData("::ffff:" + Public, Public)]
    [InlineData("2606:4700:4700::1111", "2606:4700:4700::1111")]
    [InlineData("2606:4700:4700::1111%3", "2606:4700:4700::1111")]
    public void Refusal_MachinesOwnPublicAddress_IsRefused(string address, string own)
    {
        var refusal = AddressPolicy.Refusal(IPAddress.Parse(address), allowPrivate: false, [], () => [IPAddress.Parse(own)]);

        Assert.Equal("this machine's own address", refusal);
    }

    [Theory]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("ff02::1")]
    public void Refusal_NonUnicastWithPrivateAllowed_IsStillRefused(string address)
    {
        Assert.NotNull(AddressPolicy.Refusal(IPAddress.Parse(address), allowPrivate: true, [], () => []));
    }

    [Fact]
    public void SystemNetwork_OwnAddresses_IncludeLoopback()
    {
        Assert.Contains(IPAddress.Loopback, new SystemFetchNetwork().GetOwnAddresses());
    }

    [Theory]
    [InlineData("http://10.1.2.3/")]
    [InlineData("http://127.0.0.1:9/")]
    [InlineData("http://2130706433/")]
    [InlineData("http://0x7f.1/")]
    [InlineData("http://0/")]
    [InlineData("http://198.18.0.1/")]
    [InlineData("http://192.0.0.170/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://[::ffff:127.0.0.1]/")]
    [InlineData("http://[::ffff:a9fe:a9fe]/latest/meta-data/")]
    [InlineData("http://[::127.0.0.1]/")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/")]
    [InlineData("http://[64:ff9b:1::a00:1]/")]
    [InlineData("http://[2002:a9fe:a9fe::]/")]
    [InlineData("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/")]
    [InlineData("http://[fe80::1%25eth0]/")]
    [InlineData("https://[fd00::1]:8443/")]
    [InlineData("http://224.0.0.251/")]
    public async Task Fetch_LiteralInternalAddress_IsRefusedWithoutResolvingOrConnecting(string url)
    {
        var network = new FakeFetchNetwork((_, _) => throw new InvalidOperationException("no resolution expected"));
        using var fetcher = new UrlFetcher(new UrlFetcherOptions(), network, []);

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(url));

        Assert.True(ex.Refused);
        Assert.Contains("internal address", ex.Message, StringComparison.Ordinal);
        Assert.Empty(network.Resolved);
        Assert.Empty(network.ConnectsAsked);
    }

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("169.254.169.254")]
    [InlineData("198.18.0.1")]
    [InlineData("::ffff:192.168.0.1")]
    [InlineData("::10.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("2002:7f00:1::")]
    [InlineData("fd00::1")]
    [InlineData(Public + "|10.0.0.1")]
    [InlineData("2606:4700:4700::1111|::1")]
    public async Task Fetch_NameResolvingToInternalAddress_IsRefusedBeforeConnecting(string answer)
    {
        var network = new FakeFetchNetwork((_, _) => answer.Split('|').Select(IPAddress.Parse).ToArray());
        using var fetcher = new UrlFetcher(new UrlFetcherOptions(), network, []);

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync("http://docs.example.test/page"));

        Assert.True(ex.Refused);
        Assert.Contains("docs.example.test is or resolves to an internal address", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["docs.example.test"], network.Resolved);
        Assert.Empty(network.ConnectsAsked);
    }

    [Fact]
    public async Task Fetch_NameResolvingToTheMachinesOwnPublicAddress_IsRefusedBeforeConnecting()
    {
        var network = new FakeFetchNetwork((_, _) => [IPAddress.Parse(Public)]) { Own = [IPAddress.Loopback, IPAddress.Parse(Public)] };
        using var fetcher = new UrlFetcher(new UrlFetcherOptions(), network, []);

        var byName = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync("http://me.example.test/"));
        var byLiteral = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync($"http://{Public}/"));

        Assert.True(byName.Refused);
        Assert.True(byLiteral.Refused);
        Assert.Contains("this machine's own address", byName.Message, StringComparison.Ordinal);
        Assert.Empty(network.ConnectsAsked);
    }

    [Fact]
    public async Task Fetch_PublicNameWhoseSocketEndsOnLoopback_IsRefusedAfterConnectWithoutSendingTheRequest()
    {
        await using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Response(200, "OK", "internal secret"));
        var claimed = new IPEndPoint(IPAddress.Parse(Public), 80);
        var network = new FakeFetchNetwork((_, _) => [claimed.Address]).Route(claimed, server.EndPoint);
        using var fetcher = new UrlFetcher(new UrlFetcherOptions(), network, []);

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync("http://public.example.test/"));

        Assert.True(ex.Refused);
        Assert.Contains("127.0.0.1", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("internal secret", ex.Message, StringComparison.Ordinal);
        Assert.Equal([claimed], network.ConnectsAsked);
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task Fetch_DnsRebinding_EachConnectionIsJudgedByTheAddressItConnectsTo()
    {
        await using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Response(200, "OK", "first answer"));
        // The first resolution gives an allowed address (loopback, exempted for this test); the next one an internal address.
        var network = new FakeFetchNetwork((_, n) => n == 0 ? [IPAddress.Loopback] : [IPAddress.Parse("10.0.0.1")])
            .Route(server.EndPoint, server.EndPoint);
        using var fetcher = new UrlFetcher(new UrlFetcherOptions(), network, LoopbackOnly);
        var url = $"http://rebind.example.test:{server.Port}/";

        var first = await fetcher.FetchAsync(url);
        // Connection: close, so the second fetch needs a new connection and a new resolution.
        var second = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(url));

        Assert.Equal("first answer", first);
        Assert.True(second.Refused);
        Assert.Contains("10.0.0.1", second.Message, StringComparison.Ordinal);
        Assert.Equal(2, network.Resolved.Count);
        Assert.Equal([server.EndPoint], network.ConnectsAsked);
        Assert.Equal(1, server.Requests);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://127.0.0.1/pub/file")]
    [InlineData("data:text/plain,hello")]
    [InlineData("javascript:alert(1)")]
    [InlineData("gopher://127.0.0.1:70/_x")]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::1]/")]
    [InlineData("//192.168.1.1/admin")]
    [InlineData("http://internal.example.test/")]
    public async Task Fetch_RedirectToRefusedTarget_FailsLikeADirectRefusalWithoutConnecting(string location)
    {
        await using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Redirect(location));
        var network = new FakeFetchNetwork((host, _) => host == "internal.example.test" ? [IPAddress.Parse("10.9.8.7")] : throw new InvalidOperationException(host))
            .Route(server.EndPoint, server.EndPoint);
        using var fetcher = new UrlFetcher(new UrlFetcherOptions(), network, LoopbackOnly);
        var target = location.StartsWith("//", StringComparison.Ordinal) ? "http:" + location : location;

        var redirected = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(server.BaseAddress.ToString()));
        var direct = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(target));

        Assert.True(direct.Refused);
        Assert.True(redirected.Refused);
        Assert.EndsWith(direct.Message, redirected.Message, StringComparison.Ordinal);
        Assert.Equal([server.EndPoint], network.ConnectsAsked);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Fetch_RedirectWithinTheSite_IsFollowedAndEndlessRedirectsStop()
    {
        await using var server = new LoopbackHttpServer(target => target switch
        {
            "/start" => LoopbackHttpServer.Redirect("/next"),
            "/next" => LoopbackHttpServer.Response(200, "OK", "arrived"),
            _ => LoopbackHttpServer.Redirect("/loop"),
        });
        var network = new FakeFetchNetwork((_, _) => []).Route(server.EndPoint, server.EndPoint);
        using var fetcher = new UrlFetcher(new UrlFetcherOptions { MaxRedirects = 3 }, network, LoopbackOnly);

        var text = await fetcher.FetchAsync(server.BaseAddress + "start");
        var loop = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync(server.BaseAddress + "loop"));

        Assert.Equal("arrived", text);
        Assert.False(loop.Refused);
        Assert.Contains("redirected more than 3 times", loop.Message, StringComparison.Ordinal);
        Assert.Equal(2 + 4, server.Requests);
    }

    [Fact]
    public void Constructor_Default_NeverUsesAProxyOrFollowsRedirectsBehindTheChecks()
    {
        using var fetcher = new UrlFetcher();

        Assert.False(fetcher.Handler.UseProxy);
        Assert.False(fetcher.Handler.AllowAutoRedirect);
        Assert.NotNull(fetcher.Handler.ConnectCallback);
    }

    [Fact]
    public async Task Fetch_WithAProxyConfigured_GoesToTheCheckedDestinationNotTheProxy()
    {
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        var proxyUri = new Uri($"http://127.0.0.1:{((IPEndPoint)proxy.LocalEndpoint).Port}/");
        await using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Response(200, "OK", "direct"));
        var network = new FakeFetchNetwork((_, _) => [IPAddress.Loopback]).Route(server.EndPoint, server.EndPoint);
        using var fetcher = new UrlFetcher(new UrlFetcherOptions { Timeout = TimeSpan.FromSeconds(10) }, network, LoopbackOnly);
        // What http_proxy would set up; with UseProxy off it must be ignored.
        fetcher.Handler.Proxy = new WebProxy(proxyUri) { BypassProxyOnLocal = false };

        var text = await fetcher.FetchAsync($"http://site.example.test:{server.Port}/");

        Assert.Equal("direct", text);
        Assert.Equal(["site.example.test"], network.Resolved);
        Assert.Equal([server.EndPoint], network.ConnectsAsked);
        Assert.False(proxy.Pending());
    }

    [Fact]
    public async Task Fetch_AllowPrivateAddresses_StillReachesLoopbackThroughTheSameChecks()
    {
        await using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Response(200, "OK", "allowed"));
        using var fetcher = new UrlFetcher(new UrlFetcherOptions { AllowPrivateAddresses = true });

        var text = await fetcher.FetchAsync(server.BaseAddress.ToString());
        var multicast = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync("http://224.0.0.1/"));

        Assert.Equal("allowed", text);
        Assert.True(multicast.Refused);
    }

    [Fact]
    public async Task Fetch_Localhost_IsRefusedAfterResolution()
    {
        await using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Response(200, "OK", "local"));
        using var fetcher = new UrlFetcher();

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchAsync($"http://localhost:{server.Port}/"));

        Assert.True(ex.Refused);
        Assert.Equal(0, server.Connections);
    }
}
