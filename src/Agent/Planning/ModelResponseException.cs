namespace Plansmith.Agent.Planning;

/// <summary>What went wrong with a model's successful (2xx) response after its headers arrived.</summary>
internal enum ModelResponseFault
{
    /// <summary>The connection ended in the middle of the body.</summary>
    Cut,

    /// <summary>An event stream ended cleanly but without its <c>data: [DONE]</c> end marker.</summary>
    Unterminated,

    /// <summary>The body carried an error (an error event in a stream, an error object in a 200 body) instead of the answer.</summary>
    ErrorEvent,

    /// <summary>The body is an HTML page, not a chat completion (a proxy's or a login page).</summary>
    NotAChatCompletion,

    /// <summary>The body did not finish within the per-attempt timeout.</summary>
    AttemptTimeout,

    /// <summary>The body did not finish within the call's total timeout.</summary>
    TotalTimeout,
}

/// <summary>
/// A model's successful response that is not a whole chat completion: cut off, unterminated,
/// an error in a 200 body or stream, an HTML page, or past a deadline. Raised by the model client
/// as the connector reads the body, so the caller sees a failed call instead of a short answer
/// that looks complete.
/// </summary>
internal sealed class ModelResponseException : IOException
{
    public ModelResponseException(ModelResponseFault fault, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Fault = fault;
    }

    /// <summary>What went wrong.</summary>
    public ModelResponseFault Fault { get; }

    /// <summary>
    /// Whether asking again is worthwhile: everything but a spent total timeout, which is the
    /// caller's whole allowance for the call.
    /// </summary>
    public bool IsRetryable => Fault != ModelResponseFault.TotalTimeout;
}
