namespace Plansmith.Agent.Planning;

/// <summary>A prompt folder could not be used; <see cref="Problems"/> names each file at fault and the fix.</summary>
public sealed class PromptLibraryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PromptLibraryException(IReadOnlyList<string> problems)
        : base("The prompts could not be loaded:\n- " + string.Join("\n- ", problems))
    {
        Problems = problems;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<string> Problems { get; }
}
