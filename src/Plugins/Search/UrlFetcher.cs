using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plansmith.Plugins.Search;

/// <summary>Limits of <see cref="UrlFetcher"/>.</summary>
public sealed class UrlFetcherOptions
{
    /// <summary>Bytes read from a page at most; the rest is dropped and the text says so. Default 2 MiB.</summary>
    public int MaxBytes { get; set; } = 2 << 20;

    /// <summary>Time a fetch may take. Default 15 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Characters of readable text returned at most. Default 40,000.</summary>
    public int MaxChars { get; set; } = 40_000;

    /// <summary>
    /// Whether loopback, private, link-local and other internal addresses may be fetched. Default
    /// false: a model must not be able to reach the host's or the LAN's services.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }
}

/// <summary>
/// Fetches a web page and returns its readable text. Only http and https; internal addresses are
/// refused at connect time (so DNS tricks and redirects cannot reach them either), with size and time limits.
/// </summary>
public sealed class UrlFetcher : IDisposable
{
    private readonly UrlFetcherOptions _options;
    private readonly HttpClient _http;

    /// <summary>Creates the fetcher with its own connection handling.</summary>
    public UrlFetcher(UrlFetcherOptions? options = null)
    {
        _options = options ?? new UrlFetcherOptions();
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            ConnectTimeout = _options.Timeout,
            ConnectCallback = ConnectAsync,
            AutomaticDecompression = DecompressionMethods.All,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Plansmith/0.1 (+fetch_url)");
    }

    /// <summary>The page's readable text, its title first.</summary>
    /// <exception cref="UrlFetchException">The URL is refused, unreachable, too slow, or not text.</exception>
    public async Task<string> FetchAsync(string url, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new UrlFetchException($"'{url}' is not an absolute URL. Give a full http:// or https:// address.");
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new UrlFetchException($"Only http and https URLs can be fetched, not {uri.Scheme}://.");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeout);
        try
        {
            using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
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

            var (bytes, cut) = await ReadLimitedAsync(response, deadline.Token).ConfigureAwait(false);
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
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UrlFetchException($"{uri} did not answer within {_options.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException ex)
        {
            throw new UrlFetchException($"{uri} could not be fetched: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>Whether an address is internal: loopback, private, link-local, carrier-grade NAT, multicast or unspecified.</summary>
    public static bool IsInternal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 10 || b[0] == 0 || b[0] == 127
                   || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                   || (b[0] == 192 && b[1] == 168)
                   || (b[0] == 169 && b[1] == 254)
                   || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                   || b[0] >= 224;
        }

        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (!_options.AllowPrivateAddresses && addresses.Any(IsInternal))
        {
            throw new UrlFetchException($"{host} resolves to an internal address ({string.Join(", ", addresses.Where(IsInternal))}); fetching internal addresses is not allowed (UrlFetcherOptions.AllowPrivateAddresses).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
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
}
