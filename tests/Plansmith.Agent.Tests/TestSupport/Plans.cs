using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.TestSupport;

public static class TestPlans
{
    /// <summary>A step with the given id and dependencies.</summary>
    public static PlanStep Step(string id, params string[] dependencies) =>
        new() { Id = id, Description = "do " + id, Dependencies = dependencies };

    public static Plan Of(params PlanStep[] steps) => new(steps);

    /// <summary>Tool arguments from a JSON object.</summary>
    public static Dictionary<string, JsonElement> Args(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
}
