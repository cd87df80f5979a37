using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.TestSupport;

public static class TestPlans
{
    /// <summary>A step with the given id and dependencies.</summary>
    public static PlanStep Step(string id, params string[] dependencies) =>
        new() { Id = id, Description = "do " + id, Dependencies = dependencies };

    public static Plan Of(params PlanStep[] steps) => new(steps);
}
