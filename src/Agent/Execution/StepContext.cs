using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Execution;

/// <summary>
/// Everything an <see cref="IStepExecutor"/> may use to run one attempt of one step: the plan, the
/// step, the outputs of the steps completed before it, the kernel, and which attempt this is.
/// </summary>
/// <remarks>
/// The plan executor makes one for each attempt. To unit-test an executor of your own, make one
/// directly: <c>new StepContext(plan, plan.Steps[0], kernel, outputs)</c>. It is immutable.
/// </remarks>
public sealed class StepContext
{
    private static readonly IReadOnlyDictionary<string, string> NoOutputs = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Creates the context of one attempt of one step.</summary>
    /// <param name="plan">The plan being run.</param>
    /// <param name="step">
    /// The step to run. When running a fallback, the step with the fallback's tool, arguments and
    /// description (see <see cref="PlanStep.AsFallbackStep"/>), under the step's own id.
    /// </param>
    /// <param name="kernel">The kernel whose plugins the step may call.</param>
    /// <param name="outputs">Output text of the steps completed so far, by id; none when null.</param>
    /// <param name="attempt">The attempt number, from 1.</param>
    /// <param name="isFallback">Whether this attempt runs the step's fallback.</param>
    /// <exception cref="ArgumentNullException"><paramref name="plan"/>, <paramref name="step"/> or <paramref name="kernel"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attempt"/> is below 1.</exception>
    public StepContext(
        Plan plan,
        PlanStep step,
        Kernel kernel,
        IReadOnlyDictionary<string, string>? outputs = null,
        int attempt = 1,
        bool isFallback = false)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        Plan = plan;
        Step = step;
        Kernel = kernel;
        Outputs = outputs ?? NoOutputs;
        Attempt = attempt;
        IsFallback = isFallback;
    }

    /// <summary>The plan being run.</summary>
    public Plan Plan { get; }

    /// <summary>The step to run; for a fallback, the step with the fallback's tool, arguments and description.</summary>
    public PlanStep Step { get; }

    /// <summary>The kernel whose plugins the step may call.</summary>
    public Kernel Kernel { get; }

    /// <summary>
    /// The step's inputs: output text of the steps completed so far, by id. All of the step's
    /// dependencies are here; <c>${id}</c> references in its arguments resolve against it.
    /// </summary>
    public IReadOnlyDictionary<string, string> Outputs { get; }

    /// <summary>The attempt number, from 1. A fallback is attempted once, as attempt 1.</summary>
    public int Attempt { get; }

    /// <summary>Whether this attempt runs the step's fallback.</summary>
    public bool IsFallback { get; }

    /// <summary>Who hears of the step's attempts, retries and fallback: the scheduler's worker, or nobody.</summary>
    internal IStepAttemptObserver? Observer { get; init; }

    /// <summary>This context for another attempt of the same step.</summary>
    internal StepContext ForAttempt(int attempt) =>
        attempt == Attempt ? this : new(Plan, Step, Kernel, Outputs, attempt, IsFallback) { Observer = Observer };

    /// <summary>This context for the one attempt of the step's fallback, given as a step.</summary>
    internal StepContext ForFallback(PlanStep fallback) =>
        new(Plan, fallback, Kernel, Outputs, attempt: 1, isFallback: true) { Observer = Observer };
}
