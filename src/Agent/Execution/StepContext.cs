using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Execution;

/// <summary>Everything a step executor may use to run one step.</summary>
public sealed class StepContext
{
    internal StepContext(Plan plan, PlanStep step, Kernel kernel, IReadOnlyDictionary<string, string> outputs, int attempt, bool isFallback)
    {
        Plan = plan;
        Step = step;
        Kernel = kernel;
        Outputs = outputs;
        Attempt = attempt;
        IsFallback = isFallback;
    }

    /// <summary>The plan being run.</summary>
    public Plan Plan { get; }

    /// <summary>The step to run; for a fallback, the step with the fallback's tool, arguments and description.</summary>
    public PlanStep Step { get; }

    /// <summary>The kernel whose plugins the step may call.</summary>
    public Kernel Kernel { get; }

    /// <summary>Output text of the steps completed so far, by id; all of the step's dependencies are here.</summary>
    public IReadOnlyDictionary<string, string> Outputs { get; }

    /// <summary>The attempt number, from 1.</summary>
    public int Attempt { get; }

    /// <summary>Whether this runs the step's fallback.</summary>
    public bool IsFallback { get; }
}
