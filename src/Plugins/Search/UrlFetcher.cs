using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace Plansmith.Plugins.Search;

/// <summary>Limits of <see cref="UrlFetcher"/>.</summary>
public sealed class UrlFetcherOptions
{
    /// <summary>Bytes read from a page at most; the rest is dropped and the text says so. Default 2 MiB.</summary>
    public int MaxBytes { get; set; } = 2 << 20;

    /// <summary>Time a fetch may take, redirects included. Default 15 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Characters of readable text returned at most. Default 40,000.</summary>
    public int MaxChars { get; set; } = 40_000;

    /// <summary>Redirects followed at most; each one is checked like the first URL. Default 5.</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>
    /// Whether loopback, private, link-local and other special-purpose unicast addresses (and this
    /// machine's own addresses) may be fetched. Default false: a model must not be able to reach the
    /// host's or the LAN's services. Multicast, broadcast and unspecified addresses stay refused.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }
}

/// <summary>
/// Fetches a web page and returns its readable text. Only http and https, and only public unicast
/// addresses: the address is checked when the host is a literal, again for every address the name
/// resolves to, and again on the connected socket's remote end, so DNS tricks and redirects cannot
/// reach internal services. Redirects are followed here, hop by hop, with the same checks. Proxies
/// are never used (the <c>http_proxy</c>/<c>https_proxy</c> variables are ignored): through a proxy
/// only the proxy's address could be checked, not the destination's. Size and time are limited.
/// </summary>
public sealed class UrlFetcher : IDisposable
{
    private const int ShownChars = 200;

    private readonly UrlFetcherOptions _options;
    private readonly IFetchNetwork _network;
    private readonly IReadOnlyList<IPNetwork> _exempt;
    private readonly HttpClient _http;

    /// <summary>Creates the fetcher with its own connection handling.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="options"/> is out of range.</exception>
    public UrlFetcher(UrlFetcherOptions? options = null)
        : this(options, new SystemFetchNetwork(), [])
    {
    }

    /// <summary>Creates the fetcher over <paramref name="network"/>, allowing <paramref name="exempt"/> networks although special.</summary>
    internal UrlFetcher(UrlFetcherOptions? options, IFetchNetwork network, IReadOnlyList<IPNetwork> exempt)
    {
        _options = options ?? new UrlFetcherOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBytes, 1, "options.MaxBytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxChars, 1, "options.MaxChars");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.Timeout, TimeSpan.Zero, "options.Timeout");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxRedirects, 0, "options.MaxRedirects");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.MaxRedirects, 20, "options.MaxRedirects");
        _network = network;
        _exempt = exempt;
        Handler = new SocketsHttpHandler
        {
            // Followed in FetchAsync, so that every hop's scheme and address are checked.
            AllowAutoRedirect = false,
            // Through a proxy, ConnectCallback would see the proxy's address, not the destination's.
            UseProxy = false,
            ConnectTimeout = _options.Timeout,
            ConnectCallback = ConnectAsync,
            AutomaticDecompression = DecompressionMethods.All,
        };
        _http = new HttpClient(Handler)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            // HTTP/3 runs over QUIC, which does not go through ConnectCallback: never upgrade to it.
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Plansmith/0.1 (+fetch_url)");
    }

    /// <summary>The connection handler; tests read its settings.</summary>
    internal SocketsHttpHandler Handler { get; }

    /// <summary>The page's readable text, its title first.</summary>
    /// <exception cref="UrlFetchException">
    /// The URL is refused (<see cref="UrlFetchException.Refused"/>: not http/https or not a public
    /// address, directly or after a redirect), unreachable, too slow, or not text.
    /// </exception>
    public async Task<string> FetchAsync(string url, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new UrlFetchException($"'{Shown(url)}' is not an absolute URL. Give a full http:// or https:// address.");
        }

        EnsureAllowed(uri, redirectedFrom: null);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeout);
        try
        {
            var current = uri;
            for (var redirects = 0; ; redirects++)
            {
                using var response = await _http.GetAsync(current, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
                if (!IsRedirect(response.StatusCode))
                {
                    return await ReadPageAsync(current, response, deadline.Token).ConfigureAwait(false);
                }

                var next = RedirectTarget(current, response)
                           ?? throw new UrlFetchException($"{current} answered {(int)response.StatusCode} {response.ReasonPhrase} without a usable Location.");
                if (redirects >= _options.MaxRedirects)
                {
                    throw new UrlFetchException($"{uri} redirected more than {_options.MaxRedirects} times; giving up at {current}.");
                }

                EnsureAllowed(next, redirectedFrom: current);
                current = next;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UrlFetchException($"{uri} did not answer within {_options.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException ex) when (ex.InnerException is UrlFetchException inner)
        {
            // A refusal at connect time: the same error as a refusal before connecting.
            throw new UrlFetchException(inner.Message, inner.Refused, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new UrlFetchException($"{uri} could not be fetched: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Whether an address is internal, that is, not public unicast: loopback, private, link-local,
    /// carrier-grade NAT, multicast, documentation, NAT64, 6to4, IPv4-compatible and every other
    /// special-purpose range of the IANA registries (this machine's own addresses are checked at
    /// connect time, not here).
    /// </summary>
    public static bool IsInternal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return AddressPolicy.Classify(address) is not null;
    }

    private async Task<string> ReadPageAsync(Uri uri, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new UrlFetchException($"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "text/html";
        if (!mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) && !mediaType.Contains("html", StringComparison.OrdinalIgnoreCase)
            && !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase) && !mediaType.Contains("xml", StringComparison.OrdinalIgnoreCase))
        {
            throw new UrlFetchException($"{uri} is {mediaType}, not a text page.");
        }

        var (bytes, cut) = await ReadLimitedAsync(response, cancellationToken).ConfigureAwait(false);
        var charset = response.Content.Headers.ContentType?.CharSet;
        var encoding = charset is null ? Encoding.UTF8 : GetEncoding(charset);
        var text = encoding.GetString(bytes);
        var readable = mediaType.Contains("html", StringComparison.OrdinalIgnoreCase) ? Readable(uri, text) : text;
        if (readable.Length > _options.MaxChars)
        {
            readable = readable[.._options.MaxChars];
            cut = true;
        }

        return cut ? readable + "\n[… page cut at the size limit]" : readable;
    }

    /// <summary>Refuses a URL whose scheme is not http or https, or whose host is a literal address that may not be fetched.</summary>
    private void EnsureAllowed(Uri uri, Uri? redirectedFrom)
    {
        var context = redirectedFrom is null ? string.Empty : $"{redirectedFrom} redirected to {Shown(uri.OriginalString)}. ";
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new UrlFetchException($"{context}Only http and https URLs can be fetched, not {Shown(uri.Scheme)}://.", refused: true);
        }

        if (redirectedFrom is { Scheme: "https" } && uri.Scheme == Uri.UriSchemeHttp)
        {
            throw new UrlFetchException($"{context}A redirect from https to http is not followed.", refused: true);
        }

        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(uri.DnsSafeHost.Trim('[', ']'), out var literal))
        {
            var refusal = Refusal(literal);
            if (refusal is not null)
            {
                throw new UrlFetchException(context + RefusedAddress(uri.Host, literal, refusal), refused: true);
            }
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await _network.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new UrlFetchException($"{host} has no address.");
        }

        // Every address is checked before any is tried: a name that mixes public and internal
        // addresses is refused outright rather than raced.
        foreach (var address in addresses)
        {
            var refusal = Refusal(address);
            if (refusal is not null)
            {
                throw new UrlFetchException(RefusedAddress(host, address, refusal), refused: true);
            }
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            Socket socket;
            try
            {
                socket = await _network.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                last = ex;
                continue;
            }

            try
            {
                // What counts is where the socket ended up, whatever resolution or routing said.
                var remote = (socket.RemoteEndPoint as IPEndPoint)?.Address;
                var refusal = remote is null ? "not an IP connection" : Refusal(remote);
                if (refusal is not null)
                {
                    throw new UrlFetchException(RefusedAddress(host, remote ?? address, refusal), refused: true);
                }

                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostUnreachable);
    }

    private string? Refusal(IPAddress address)
    {
        try
        {
            return AddressPolicy.Refusal(address, _options.AllowPrivateAddresses, _exempt, _network.GetOwnAddresses);
        }
        catch (NetworkInformationException ex)
        {
            // Without the list, a public address of this machine could not be told apart: refuse.
            throw new UrlFetchException($"This machine's own addresses could not be listed to check {address} against them: {ex.Message}", refused: true, ex);
        }
    }

    private static string RefusedAddress(string host, IPAddress address, string range) =>
        $"{Shown(host)} is or resolves to an internal address ({address}: {range}); fetch_url reaches public unicast addresses only (the setting Plansmith:Fetch:AllowPrivateAddresses, UrlFetcherOptions.AllowPrivateAddresses in code, lifts this for unicast).";

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static Uri? RedirectTarget(Uri current, HttpResponseMessage response)
    {
        var location = response.Headers.Location;
        if (location is null)
        {
            return null;
        }

        // On Unix "/path" parses as an absolute file: URI; in a Location header it is a path on the same site.
        if (location.IsAbsoluteUri && location.IsFile && location.OriginalString.StartsWith('/') && !location.OriginalString.StartsWith("//", StringComparison.Ordinal))
        {
            return new Uri(current, location.OriginalString);
        }

        return location.IsAbsoluteUri ? location : new Uri(current, location);
    }

    private static string Shown(string text)
    {
        var cut = text.Length > ShownChars ? text[..ShownChars] + "…" : text;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    private async Task<(byte[] Bytes, bool Cut)> ReadLimitedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var owned = stream.ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            var room = _options.MaxBytes - (int)buffer.Length;
            if (read >= room)
            {
                buffer.Write(chunk, 0, room);
                return (buffer.ToArray(), true);
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), false);
    }

    private static string Readable(Uri uri, string html)
    {
        var document = TextExtractor.Extract(uri.AbsolutePath.EndsWith('/') ? "index.html" : "page.html", html);
        var text = new StringBuilder("# ").Append(document.Title).Append("\n\n");
        var section = document.Title;
        foreach (var block in document.Blocks)
        {
            if (block.Section != section)
            {
                section = block.Section;
                text.Append("## ").Append(section).Append("\n\n");
            }

            text.Append(block.Text).Append("\n\n");
        }

        return text.ToString().TrimEnd();
    }

    private static Encoding GetEncoding(string charset)
    {
        try
        {
            return Encoding.GetEncoding(charset.Trim('"'));
        }
        catch (ArgumentException)
        {
            return Encoding.UTF8;
        }
    }
}

/// <summary>A page could not be fetched; the message says why.</summary>
public sealed class UrlFetchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UrlFetchException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception, saying whether the URL was refused by policy.</summary>
    public UrlFetchException(string message, bool refused, Exception? innerException = null)
        : base(message, innerException)
    {
        Refused = refused;
    }

    /// <summary>
    /// Whether the URL was refused by policy (a scheme other than http/https, or an address that is
    /// not public unicast), directly or after a redirect, rather than failing on the site's side.
    /// </summary>
    public bool Refused { get; }
}
