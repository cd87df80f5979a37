using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Makes and mends plans. The built-in planner asks the model through the <c>plan_*</c> prompts
/// and validates every plan it returns; a replacement must return plans that pass
/// <see cref="PlanValidator"/> for the run's plugins, or throw <see cref="PlanningFailedException"/>.
/// </summary>
public interface IPlanner
{
    /// <summary>A plan for <see cref="RunContext.Goal"/>.</summary>
    Task<Plan> CreateAsync(RunContext run, CancellationToken cancellationToken = default);

    /// <summary>A critique of <paramref name="plan"/>: approved as it is, or replaced by a better one.</summary>
    Task<PlanReview> ReflectAsync(RunContext run, Plan plan, CancellationToken cancellationToken = default);

    /// <summary>The plan after a step failed for good: the completed steps kept, new steps for the remaining work.</summary>
    Task<Plan> ReviseAsync(RunContext run, PlanFailure failure, CancellationToken cancellationToken = default);

    /// <summary>A child plan for a subgoal step, or null when the step is better done at once.</summary>
    /// <param name="run">The run.</param>
    /// <param name="subgoal">The subgoal step, its description resolved.</param>
    /// <param name="context">What the steps it depends on produced, as prompt text.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task<Plan?> DecomposeAsync(RunContext run, PlanStep subgoal, string context, CancellationToken cancellationToken = default);
}
