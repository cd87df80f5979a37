using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>
/// A step as the lenient reader read it, before <see cref="MapExpansion"/> expands map steps and
/// derives the descriptions left out of tool steps.
/// </summary>
/// <param name="Step">The step as written (for a map step, its fixed arguments only).</param>
/// <param name="Map">For a map step, each mapped argument's name and list of values, as written; null otherwise.</param>
internal sealed record DraftStep(PlanStep Step, IReadOnlyDictionary<string, JsonElement>? Map = null);
