using System.Collections.Specialized;
using System.Web;

namespace Plansmith.Plugins.Tests;

/// <summary>A request <see cref="TestServer"/> received, with the parts of <c>HttpListenerRequest</c> the tests read.</summary>
public sealed class TestServerRequest
{
    public TestServerRequest(Uri url, IReadOnlyDictionary<string, string> headers)
    {
        Url = url;
        QueryString = HttpUtility.ParseQueryString(url.Query);
        Headers = [];
        foreach (var (name, value) in headers)
        {
            Headers[name] = value;
        }
    }

    public Uri? Url { get; }

    public NameValueCollection QueryString { get; }

    public NameValueCollection Headers { get; }
}
