namespace Plansmith.Agent.Execution;

/// <summary>
/// A verify step's claim was judged false. This is the verifier's result, not a fault: asking the
/// same question again brings the same judgement back, so the executor does not retry it and goes
/// straight to the step's fallback (and the agent to replanning). A verifier <em>call</em> that
/// fails (a model error, an unreadable verdict) is a different failure and is retried.
/// </summary>
public sealed class VerificationFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="stepId">The verify step.</param>
    /// <param name="reason">Why the verifier judged the claim false, in its words.</param>
    public VerificationFailedException(string stepId, string reason)
        : base($"Verification failed: {reason}")
    {
        StepId = stepId;
        Reason = reason;
    }

    /// <summary>The verify step whose claim was judged false.</summary>
    public string StepId { get; }

    /// <summary>The verifier's reason.</summary>
    public string Reason { get; }
}
