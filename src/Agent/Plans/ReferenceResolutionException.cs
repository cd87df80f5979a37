namespace Plansmith.Agent.Plans;

/// <summary>A <c>${step}</c> reference could not be resolved against the outputs of earlier steps.</summary>
public sealed class ReferenceResolutionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ReferenceResolutionException(StepReference? reference, string message)
        : base(message)
    {
        Reference = reference;
    }

    /// <summary>The reference that failed, or null when the reference text itself was malformed.</summary>
    public StepReference? Reference { get; }
}
