using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>The logging layer: each model call's prompt name, duration and tokens at Debug, failures at Debug too (the run reports them). Never a message's text.</summary>
internal sealed partial class LoggingChatCompletionService : DelegatingChatCompletionService
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public LoggingChatCompletionService(IChatCompletionService inner, ILogger logger, TimeProvider time)
        : base(inner)
    {
        _logger = logger;
        _time = time;
    }

    public override async Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        if (!_logger.IsEnabled(LogLevel.Debug))
        {
            return await base.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).ConfigureAwait(false);
        }

        var prompt = PromptName;
        var start = _time.GetTimestamp();
        try
        {
            var replies = await base.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).ConfigureAwait(false);
            var (input, output) = replies.Count == 0 ? (0L, 0L) : TokenUsage.Read(replies[^1].Metadata);
            var elapsed = _time.GetElapsedTime(start).TotalMilliseconds;
            CallEnded(_logger, prompt, elapsed, input, output);
            return replies;
        }
        catch (Exception ex)
        {
            var elapsed = _time.GetElapsedTime(start).TotalMilliseconds;
            var error = ex.GetType().Name;
            CallFailed(_logger, prompt, elapsed, error);
            throw;
        }
    }

    public override async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = PromptName;
        var start = _time.GetTimestamp();
        var pieces = 0;
        await foreach (var chunk in base.GetStreamingChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).ConfigureAwait(false))
        {
            pieces++;
            yield return chunk;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var elapsed = _time.GetElapsedTime(start).TotalMilliseconds;
            StreamEnded(_logger, prompt, elapsed, pieces);
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Debug, Message = "Model call {Prompt} took {Milliseconds:0} ms: {InputTokens} tokens in, {OutputTokens} out")]
    private static partial void CallEnded(ILogger logger, string prompt, double milliseconds, long inputTokens, long outputTokens);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "Model call {Prompt} failed after {Milliseconds:0} ms: {Error}")]
    private static partial void CallFailed(ILogger logger, string prompt, double milliseconds, string error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Debug, Message = "Model stream {Prompt} took {Milliseconds:0} ms, {Pieces} pieces")]
    private static partial void StreamEnded(ILogger logger, string prompt, double milliseconds, int pieces);
}
