using System.Text.Json;

namespace Plansmith.Agent.Plans;

/// <summary>
/// What to do instead when a step's retries are spent. It runs with the step's id and
/// dependencies, so references to the step keep working whichever path produced its output.
/// </summary>
public sealed record StepFallback
{
    /// <summary>What the fallback does, in words; a model performs it when <see cref="Tool"/> is null.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>The tool to call directly (<c>plugin.function</c>), or null for a model-performed fallback.</summary>
    public string? Tool { get; init; }

    /// <summary>Arguments of <see cref="Tool"/>; string values may hold <c>${step}</c> references.</summary>
    public IReadOnlyDictionary<string, JsonElement> Arguments { get; init; } = PlanStep.NoArguments;

    /// <summary>The agent profile that performs a model-performed fallback, or null for the default.</summary>
    public string? Agent { get; init; }
}
