namespace Plansmith.Agent.Planning;

/// <summary>
/// A model call failed after the HTTP client's own retries: the endpoint was unreachable, answered
/// with an error, or answered with something that is not a chat completion (a malformed or cut-off
/// body). The message names the prompt and the cause; it never holds a key.
/// </summary>
public sealed class ModelCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelCallException(string prompt, Exception innerException)
        : base($"The model call for '{prompt}' failed: {Describe(innerException)}", innerException)
    {
        Prompt = prompt;
    }

    /// <summary>The prompt whose call failed.</summary>
    public string Prompt { get; }

    private static string Describe(Exception exception) => exception switch
    {
        System.Text.Json.JsonException => "the endpoint's answer is not valid JSON (a malformed or cut-off response). Check that the endpoint speaks the OpenAI chat completions API.",
        _ when Hosting.ModelEndpointUnreachableException.Find<Hosting.ModelEndpointUnreachableException>(exception) is { } unreachable => unreachable.Message,
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };
}
