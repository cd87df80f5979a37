using System.Net;
using System.Net.Http.Headers;

namespace Plansmith.Testing;

/// <summary>
/// Serves a <see cref="ScriptedModel"/> in process, as an HttpClient handler. Put Plansmith's
/// <c>PromptHeaderHandler</c> in front of it so requests carry the prompt's name.
/// </summary>
public sealed class ScriptedOpenAIHandler : HttpMessageHandler
{
    private readonly ScriptedModel _model;

    public ScriptedOpenAIHandler(ScriptedModel model)
    {
        _model = model;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "{}" : await request.Content.ReadAsStringAsync(cancellationToken);
        var answer = await _model.AnswerAsync(new ModelRequest(body, request.RequestUri!.AbsolutePath, request.Headers.Authorization?.ToString(), request.Headers.TryGetValues(ModelRequest.PromptHeader, out var prompt) ? prompt.FirstOrDefault() : null));
        if (answer.Drop)
        {
            throw new HttpRequestException("The connection was closed without a response.");
        }

        // A StreamContent over a MemoryStream: the OpenAI SDK disposes the body in ways a StringContent does not survive.
        var content = new StreamContent(answer.WriteBodyAsync is { } write ? Piped(write, cancellationToken) : new MemoryStream(answer.Body));
        content.Headers.ContentType = new MediaTypeHeaderValue(answer.ContentType);
        var response = new HttpResponseMessage((HttpStatusCode)answer.Status) { Content = content, RequestMessage = request };
        if (answer.RetryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
        }

        return response;
    }

    /// <summary>A body the script writes piece by piece while the client reads it.</summary>
    private static Stream Piped(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var pipe = new System.IO.Pipelines.Pipe();
        _ = Task.Run(async () =>
        {
            Exception? failure = null;
            try
            {
                await using var stream = pipe.Writer.AsStream(leaveOpen: true);
                await write(stream, cancellationToken);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            await pipe.Writer.CompleteAsync(failure);
        }, CancellationToken.None);
        return pipe.Reader.AsStream();
    }
}
