using Plansmith.Agent.Planning;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// Turns a request that could not connect (refused, unknown host, unreachable network) into a
/// <see cref="ModelEndpointUnreachableException"/> naming the endpoint and what to check. It sits
/// under the retries, so an unreachable endpoint is still retried like any network error.
/// </summary>
internal sealed class ConnectionFailureHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ModelEndpointUnreachableException.Classify(request.RequestUri, ex) is { } unreachable)
        {
            throw unreachable;
        }
    }
}
