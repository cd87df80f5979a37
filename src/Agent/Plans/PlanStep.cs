using System.Collections.ObjectModel;
using System.Text.Json;

namespace Plansmith.Agent.Plans;

/// <summary>One step of a <see cref="Plan"/>.</summary>
public sealed record PlanStep
{
    internal static readonly IReadOnlyDictionary<string, JsonElement> NoArguments =
        ReadOnlyDictionary<string, JsonElement>.Empty;

    /// <summary>The step's id, unique in its plan; other steps name it in dependencies and references.</summary>
    public required string Id { get; init; }

    /// <summary>What the step does, in words a person and a model understand.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Ids of the steps that must complete before this one starts.</summary>
    public IReadOnlyList<string> Dependencies { get; init; } = [];

    /// <summary>What the step asks for; <see cref="StepKind.Action"/> by default.</summary>
    public StepKind Kind { get; init; } = StepKind.Action;

    /// <summary>
    /// The tool this step calls directly, as <c>plugin.function</c>. When null the step is done by a
    /// model with function calling.
    /// </summary>
    public string? Tool { get; init; }

    /// <summary>Arguments of <see cref="Tool"/>; string values may hold <c>${step}</c> references.</summary>
    public IReadOnlyDictionary<string, JsonElement> Arguments { get; init; } = NoArguments;

    /// <summary>The agent profile assigned to the step, or null for the default.</summary>
    public string? Agent { get; init; }

    /// <summary>What to do when the step's retries are spent, or null to fail the step.</summary>
    public StepFallback? Fallback { get; init; }

    /// <summary>The step that runs in place of this one when its retries are spent, or null.</summary>
    public PlanStep? AsFallbackStep() => Fallback is null
        ? null
        : this with
        {
            Description = string.IsNullOrWhiteSpace(Fallback.Description) ? Description : Fallback.Description,

            // A subgoal's fallback is done directly rather than expanded again.
            Kind = Kind == StepKind.Subgoal ? StepKind.Action : Kind,
            Tool = Fallback.Tool,
            Arguments = Fallback.Arguments,
            Agent = Fallback.Agent ?? Agent,
            Fallback = null,
        };
}
