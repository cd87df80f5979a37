using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The inputs of a prompt fragment: a piece of a prompt's wording, kept in the prompt's folder as
/// <c>NAME/FRAGMENT.txt</c>, that only some calls include (feedback after a rejected answer, a
/// note about an incomplete run). Code decides whether to include it; the fragment says it.
/// </summary>
public abstract record FragmentInputs
{
    /// <summary>The fragment's file name without <c>.txt</c>.</summary>
    public abstract string Fragment { get; }

    /// <summary>The inputs as Semantic Kernel arguments, by input name.</summary>
    public KernelArguments ToArguments() => InputNames.Arguments(this);
}
