using Plansmith.Agent.Planning;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// Adds the <c>X-Plansmith-Prompt</c> header, the name of the Plansmith prompt a request belongs
/// to (<see cref="PromptCall.Current"/>), to model requests. Real providers ignore an unknown
/// header; a test server or a proxy can tell prompts apart by it however their wording changes.
/// <see cref="ModelHttpClient"/> includes it.
/// </summary>
public sealed class PromptHeaderHandler : DelegatingHandler
{
    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (PromptCall.Current is { } call)
        {
            request.Headers.Remove(PromptCall.HeaderName);
            request.Headers.TryAddWithoutValidation(PromptCall.HeaderName, call.Name);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
