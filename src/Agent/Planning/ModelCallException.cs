namespace Plansmith.Agent.Planning;

/// <summary>
/// A model call failed after the HTTP client's own retries: the endpoint was unreachable, answered
/// with an error, or answered with something that is not a whole chat completion (a malformed,
/// cut-off, empty or truncated answer). The message names the prompt and the cause; it never holds a key.
/// </summary>
public sealed class ModelCallException : Exception
{
    /// <summary>Creates the exception for a call that threw.</summary>
    public ModelCallException(string prompt, Exception innerException)
        : base($"The model call for '{prompt}' failed: {Describe(innerException)}", innerException)
    {
        Prompt = prompt;
        IsIncomplete = IsIncompleteAnswer(innerException);
    }

    /// <summary>Creates the exception for an answer that arrived but is not whole.</summary>
    /// <param name="prompt">The prompt whose answer it is.</param>
    /// <param name="reason">What is missing, and what to do about it.</param>
    public ModelCallException(string prompt, string reason)
        : base($"The model call for '{prompt}' failed: {reason}")
    {
        Prompt = prompt;
        IsIncomplete = true;
    }

    /// <summary>The prompt whose call failed.</summary>
    public string Prompt { get; }

    /// <summary>
    /// The endpoint answered, but not with a whole answer: the body was malformed or cut off, the
    /// stream ended without its finish reason or end marker, carried an error event, stalled past
    /// the attempt timeout, or the answer was truncated or withheld. Asking again may succeed; an
    /// error status (401, 400, a 5xx after every retry) or a spent total timeout is not incomplete.
    /// </summary>
    public bool IsIncomplete { get; }

    private static bool IsIncompleteAnswer(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ModelResponseException stream:
                    return stream.IsRetryable;
                case System.Text.Json.JsonException:
                case HttpIOException:
                    return true;
            }
        }

        return false;
    }

    private static string Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ModelResponseException stream:
                    return stream.Message;
                case System.Text.Json.JsonException:
                    return "the endpoint's answer is not valid JSON (a malformed or cut-off response). Check that the endpoint speaks the OpenAI chat completions API.";
                case Microsoft.SemanticKernel.HttpOperationException { StatusCode: { } status } http:
                    return $"the endpoint answered HTTP {(int)status} ({status}){Detail(http.ResponseContent)}. {Hint((int)status)}";
                case ModelEndpointUnreachableException unreachable:
                    return unreachable.Message;
                case Polly.Timeout.TimeoutRejectedException:
                    return $"the endpoint did not answer in time, with every retry ({e.Message}). Check that the endpoint is up, or raise Plansmith:ModelResilience:AttemptTimeout and TotalTimeout for a slow model.";
            }
        }

        return $"{exception.GetType().Name}: {exception.Message}";
    }

    private static string Hint(int status) => status switch
    {
        401 or 403 => "Check the API key (OPENAI_API_KEY or the configured key) and that it may use this model.",
        404 => "Check the endpoint URL (it should end in /v1 for OpenAI-compatible servers) and the model name.",
        400 or 422 => "The endpoint rejected the request: check the model name and the prompt's execution settings (config.json).",
        408 or 429 => "The endpoint kept refusing after every retry: wait and try again, or raise Plansmith:ModelResilience:MaxRetries.",
        >= 500 => "The endpoint kept failing after every retry: check its status, or try again later.",
        _ => "Check the endpoint and its configuration.",
    };

    /// <summary>The endpoint's own error message, short and printable, or nothing.</summary>
    private static string Detail(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return string.Empty;
        }

        var text = content;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(content);
            if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error))
            {
                text = error.ValueKind == System.Text.Json.JsonValueKind.Object && error.TryGetProperty("message", out var message)
                    ? message.ToString()
                    : error.ToString();
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: the text as it is.
        }

        var printable = new string([.. text.Take(200).Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        return printable.Length == 0 ? string.Empty : $": \"{printable}{(text.Length > 200 ? "…" : string.Empty)}\"";
    }
}
