using System.ComponentModel.DataAnnotations;

namespace Plansmith.Agent.Plans;

/// <summary>Limits a plan must respect.</summary>
public sealed class PlanValidationOptions
{
    /// <summary>The most steps one plan (or one child plan) may have. Default 50.</summary>
    [Range(1, 1_000_000)]
    public int MaxSteps { get; set; } = 50;

    /// <summary>The longest step id, in characters. Default 64.</summary>
    [Range(1, 1_000)]
    public int MaxIdLength { get; set; } = 64;

    /// <summary>The longest step description (or fallback description), in characters. Default 4,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxDescriptionLength { get; set; } = 4_000;
}
