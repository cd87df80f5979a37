using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Plansmith.Agent.Security;

/// <summary>
/// A kernel filter that removes known secrets from what every function returns — model replies
/// (whole or streamed) and tool results — before anything in the run sees them, so an echoed key
/// never reaches a step output, an answer, the run store or the screen. Add it to the kernel the
/// agent uses: <c>kernel.FunctionInvocationFilters.Add(new SecretRedactionFilter(redactor))</c>.
/// </summary>
public sealed class SecretRedactionFilter : IFunctionInvocationFilter
{
    private readonly SecretRedactor _redactor;

    /// <summary>Creates the filter over <paramref name="redactor"/>'s secrets.</summary>
    public SecretRedactionFilter(SecretRedactor redactor)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        _redactor = redactor;
    }

    /// <inheritdoc />
    public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await next(context).ConfigureAwait(false);
        if (_redactor.IsEmpty || context.Result is not { } result)
        {
            return;
        }

        switch (result.GetValue<object>())
        {
            case string text:
                var clean = _redactor.Redact(text);
                if (!ReferenceEquals(clean, text) && clean != text)
                {
                    context.Result = new FunctionResult(result, clean);
                }

                break;
            case ChatMessageContent message:
                Redact(message);
                break;
            case IEnumerable<ChatMessageContent> messages:
                foreach (var message in messages)
                {
                    Redact(message);
                }

                break;
            case IAsyncEnumerable<StreamingChatMessageContent> chunks:
                context.Result = new FunctionResult(result, RedactStream(chunks));
                break;
            case IAsyncEnumerable<StreamingKernelContent> contents:
                context.Result = new FunctionResult(result, RedactStream(contents));
                break;
            case IAsyncEnumerable<string> pieces:
                context.Result = new FunctionResult(result, RedactStream(pieces));
                break;
        }
    }

    private void Redact(ChatMessageContent message)
    {
        foreach (var item in message.Items)
        {
            if (item is TextContent { Text: { } text } textContent)
            {
                textContent.Text = _redactor.Redact(text);
            }
        }
    }

    private async IAsyncEnumerable<StreamingChatMessageContent> RedactStream(IAsyncEnumerable<StreamingChatMessageContent> chunks, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = _redactor.CreateStream();
        StreamingChatMessageContent? last = null;
        await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            last = chunk;
            if (chunk.Content is { Length: > 0 } content)
            {
                chunk.Content = stream.Push(content);
            }

            yield return chunk;
        }

        if (stream.Flush() is { Length: > 0 } rest)
        {
            yield return new StreamingChatMessageContent(last?.Role ?? AuthorRole.Assistant, rest, modelId: last?.ModelId);
        }
    }

    private async IAsyncEnumerable<StreamingKernelContent> RedactStream(IAsyncEnumerable<StreamingKernelContent> contents, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = _redactor.CreateStream();
        await foreach (var content in contents.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (content)
            {
                case StreamingChatMessageContent { Content: { Length: > 0 } text } chat:
                    chat.Content = stream.Push(text);
                    break;
                case StreamingTextContent { Text: { Length: > 0 } text } plain:
                    plain.Text = stream.Push(text);
                    break;
            }

            yield return content;
        }

        if (stream.Flush() is { Length: > 0 } rest)
        {
            yield return new StreamingTextContent(rest);
        }
    }

    private async IAsyncEnumerable<string> RedactStream(IAsyncEnumerable<string> pieces, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = _redactor.CreateStream();
        await foreach (var piece in pieces.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var safe = stream.Push(piece);
            if (safe.Length > 0)
            {
                yield return safe;
            }
        }

        if (stream.Flush() is { Length: > 0 } rest)
        {
            yield return rest;
        }
    }
}
