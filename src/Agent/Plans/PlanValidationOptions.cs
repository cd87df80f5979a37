using System.ComponentModel.DataAnnotations;

namespace Plansmith.Agent.Plans;

/// <summary>Limits a plan must respect.</summary>
public sealed class PlanValidationOptions
{
    /// <summary>The most steps one plan (or one child plan) may have. Default 50.</summary>
    [Range(1, 1_000_000)]
    public int MaxSteps { get; set; } = 50;
}
