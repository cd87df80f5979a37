using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>Decides whether a plan may run: a person at a console, a policy, or nobody (approve all).</summary>
public interface IPlanApprover
{
    /// <summary>Approves, edits or rejects the plan before any step runs.</summary>
    ValueTask<PlanApproval> ApproveAsync(Plan plan, CancellationToken cancellationToken = default);
}

/// <summary>What an approver decided.</summary>
public enum PlanApprovalDecision
{
    /// <summary>Run the plan as it is.</summary>
    Approved,

    /// <summary>Run the edited plan instead.</summary>
    Edited,

    /// <summary>Do not run anything.</summary>
    Rejected,
}

/// <summary>An approver's decision.</summary>
/// <param name="Decision">Approve, edit or reject.</param>
/// <param name="Plan">The plan to run when edited.</param>
/// <param name="Reason">Why, when rejected.</param>
public sealed record PlanApproval(PlanApprovalDecision Decision, Plan? Plan = null, string? Reason = null)
{
    /// <summary>Run the plan as it is.</summary>
    public static PlanApproval Approve() => new(PlanApprovalDecision.Approved);

    /// <summary>Run <paramref name="plan"/> instead; it is validated like any plan.</summary>
    public static PlanApproval Edit(Plan plan) => new(PlanApprovalDecision.Edited, plan);

    /// <summary>Run nothing.</summary>
    public static PlanApproval Reject(string reason) => new(PlanApprovalDecision.Rejected, Reason: reason);
}

/// <summary>Approves every plan; the default.</summary>
public sealed class AutoApprover : IPlanApprover
{
    /// <inheritdoc />
    public ValueTask<PlanApproval> ApproveAsync(Plan plan, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(PlanApproval.Approve());
}
