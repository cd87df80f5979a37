namespace Plansmith.Agent.Planning;

/// <summary>
/// The Plansmith prompt a model request belongs to, known by the prompt function's name and its
/// typed inputs, never by its wording. Plansmith sets it around every call of one of its prompts
/// (<see cref="PromptLibrary.InvokeAsync"/> and the run's model gateway); a chat service in the same
/// process reads <see cref="Current"/>, and <see cref="Hosting.PromptHeaderHandler"/> puts the name on
/// the wire as the <see cref="HeaderName"/> header.
/// </summary>
/// <param name="Name">The prompt function's name (see <see cref="PromptNames"/>).</param>
/// <param name="Inputs">The inputs it was invoked with.</param>
public sealed record PromptCall(string Name, PromptInputs Inputs)
{
    /// <summary>The HTTP header that carries the prompt's name to an OpenAI-compatible endpoint.</summary>
    public const string HeaderName = "X-Plansmith-Prompt";

    private static readonly AsyncLocal<PromptCall?> Ambient = new();

    /// <summary>The prompt call the current model request belongs to, or null outside one.</summary>
    public static PromptCall? Current => Ambient.Value;

    /// <summary>Makes <paramref name="call"/> current until the returned scope is disposed.</summary>
    public static Scope Begin(PromptCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var previous = Ambient.Value;
        Ambient.Value = call;
        return new Scope(previous);
    }

    /// <summary>Restores the call that was current before <see cref="Begin"/>.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly PromptCall? _previous;

        internal Scope(PromptCall? previous)
        {
            _previous = previous;
        }

        /// <inheritdoc />
        public void Dispose() => Ambient.Value = _previous;
    }
}
