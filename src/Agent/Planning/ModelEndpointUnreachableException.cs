using System.Net.Sockets;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The model endpoint could not be reached at all: the connection was refused, the host name did
/// not resolve, or the network is unreachable. The message names the endpoint, the cause and what
/// to check, e.g. "could not connect to http://127.0.0.1:8080/v1 (connection refused): is the
/// server running? Check --endpoint (or Plansmith:Endpoint)."
/// </summary>
public sealed class ModelEndpointUnreachableException : HttpRequestException
{
    private ModelEndpointUnreachableException(string message, Uri endpoint, Exception innerException)
        : base(HttpRequestError.ConnectionError, message, innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint as configured: the request's address without the API path (<c>/chat/completions</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>
    /// The exception for a request to <paramref name="requestUri"/> that failed with
    /// <paramref name="exception"/>, when that failure means the endpoint could not be reached;
    /// null for any other failure (an error status, a cut-off answer, a timeout).
    /// </summary>
    public static ModelEndpointUnreachableException? Classify(Uri? requestUri, HttpRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (requestUri is null || exception is ModelEndpointUnreachableException)
        {
            return null;
        }

        var socket = Find<SocketException>(exception);
        var (reason, hint) = socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => ("connection refused", "is the server running?"),
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => ("host not found", "is the host name right?"),
            SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown => ("network unreachable", "is the server reachable from here?"),
            _ when exception.HttpRequestError == HttpRequestError.NameResolutionError => ("host not found", "is the host name right?"),
            _ => (null, null),
        };
        if (reason is null)
        {
            return null;
        }

        var endpoint = EndpointOf(requestUri);
        return new ModelEndpointUnreachableException(
            $"could not connect to {endpoint.AbsoluteUri.TrimEnd('/')} ({reason}): {hint} Check --endpoint (or Plansmith:Endpoint).",
            endpoint,
            exception);
    }

    /// <summary>The first exception of type <typeparamref name="T"/> in the chain of inner exceptions, from <paramref name="exception"/> itself.</summary>
    internal static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static Uri EndpointOf(Uri requestUri)
    {
        // Scheme, host, port and path only: never the query or user information (a key may be there).
        var path = requestUri.AbsolutePath;
        const string Api = "/chat/completions";
        if (path.EndsWith(Api, StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^Api.Length];
        }

        return new UriBuilder(requestUri.Scheme, requestUri.Host, requestUri.Port, path).Uri;
    }
}
