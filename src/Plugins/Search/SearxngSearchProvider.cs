using System.Globalization;
using System.Text.Json;

namespace Plansmith.Plugins.Search;

/// <summary>A SearXNG instance's JSON API (<c>/search?q=…&amp;format=json</c>; the instance must enable the JSON format).</summary>
public sealed class SearxngSearchProvider : ISearchProvider
{
    private readonly HttpClient _http;
    private readonly Uri _baseAddress;

    /// <summary>Creates the provider for the instance at <paramref name="baseAddress"/>.</summary>
    public SearxngSearchProvider(HttpClient http, Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseAddress);
        _http = http;
        _baseAddress = baseAddress;
    }

    /// <inheritdoc />
    public string Name => "searxng";

    /// <inheritdoc />
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default)
    {
        var uri = new Uri(_baseAddress, $"search?q={Uri.EscapeDataString(query)}&format=json");
        using var document = await WebJson.GetAsync(_http, new HttpRequestMessage(HttpMethod.Get, uri), Name, cancellationToken).ConfigureAwait(false);
        if (!document.RootElement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
        {
            throw new SearchProviderException("SearXNG answered without a 'results' array; is the JSON format enabled on the instance (search.formats: [json])?");
        }

        return [.. results.EnumerateArray().Take(top).Select((r, i) =>
        {
            var content = WebJson.String(r, "content");
            var score = r.TryGetProperty("score", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 1.0 / (i + 1);
            return new SearchHit(WebJson.String(r, "url"), WebJson.String(r, "title"), Math.Round(score, 4), content, content);
        })];
    }
}

/// <summary>Brave Search's web API (<c>X-Subscription-Token</c> header).</summary>
public sealed class BraveSearchProvider : ISearchProvider
{
    /// <summary>Brave's web search endpoint.</summary>
    public static readonly Uri DefaultEndpoint = new("https://api.search.brave.com/res/v1/web/search");

    private readonly HttpClient _http;
    private readonly string _apiKey;
    private readonly Uri _endpoint;

    /// <summary>Creates the provider; <paramref name="apiKey"/> is sent only in the request header.</summary>
    public BraveSearchProvider(HttpClient http, string apiKey, Uri? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        _http = http;
        _apiKey = apiKey;
        _endpoint = endpoint ?? DefaultEndpoint;
    }

    /// <inheritdoc />
    public string Name => "brave";

    /// <inheritdoc />
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default)
    {
        var count = Math.Clamp(top, 1, 20).ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{_endpoint}?q={Uri.EscapeDataString(query)}&count={count}"));
        request.Headers.Add("X-Subscription-Token", _apiKey);
        request.Headers.Add("Accept", "application/json");
        using var document = await WebJson.GetAsync(_http, request, Name, cancellationToken).ConfigureAwait(false);
        if (!document.RootElement.TryGetProperty("web", out var web) || !web.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        return [.. results.EnumerateArray().Take(top).Select((r, i) =>
        {
            var description = WebJson.String(r, "description");
            return new SearchHit(WebJson.String(r, "url"), WebJson.String(r, "title"), Math.Round(1.0 / (i + 1), 4), description, description);
        })];
    }
}

internal static class WebJson
{
    public static async Task<JsonDocument> GetAsync(HttpClient http, HttpRequestMessage request, string provider, CancellationToken cancellationToken)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new SearchProviderException($"The {provider} search provider could not be reached: {ex.Message}", ex);
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw new SearchProviderException($"The {provider} search provider answered {(int)response.StatusCode} {response.ReasonPhrase}.");
                }

                try
                {
                    var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                    return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (JsonException ex)
                {
                    throw new SearchProviderException($"The {provider} search provider answered with something that is not JSON.", ex);
                }
            }
        }
    }

    public static string String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;
}
