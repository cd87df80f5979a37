using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The inputs of one prompt function, typed. A record's positional parameters are the prompt's
/// inputs: <c>MaxSteps</c> is the template's <c>{{$max_steps}}</c>. Every place that invokes a
/// prompt builds one of these, so input names live in one place per prompt.
/// </summary>
public abstract record PromptInputs
{
    /// <summary>The prompt function these inputs are for (a name from <see cref="PromptNames"/>).</summary>
    public abstract string Prompt { get; }

    /// <summary>The inputs as Semantic Kernel arguments, by input name.</summary>
    public KernelArguments ToArguments() => InputNames.Arguments(this);
}
