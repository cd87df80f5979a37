using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Execution;

/// <summary>What a step produced.</summary>
/// <param name="Text">
/// The output text. Later steps read it through <c>${step}</c>, or through <c>${step.path}</c> when
/// it is JSON.
/// </param>
public sealed record StepOutput(string Text)
{
    /// <summary>Model calls and tokens the step spent; zero for a tool step.</summary>
    public TokenUsage Usage { get; init; }
}
