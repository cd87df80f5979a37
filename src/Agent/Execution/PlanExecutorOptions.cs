using System.ComponentModel.DataAnnotations;

namespace Plansmith.Agent.Execution;

/// <summary>How the plan executor schedules steps and handles their failures. All limits are finite.</summary>
public sealed class PlanExecutorOptions
{
    /// <summary>The most steps running at once. 1 runs the plan linearly. Default 4.</summary>
    [Range(1, 10_000)]
    public int MaxParallelism { get; set; } = 4;

    /// <summary>How long one attempt of one step may take. Default 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Retries after a step's first failed attempt, before its fallback. Default 2.</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Delay before the first retry; it doubles for each further retry. Default 1 second.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between retries. Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Random spread of each retry delay, as a fraction of it (0.2 = ±20%), so that parallel
    /// steps failing together do not retry in lock step. Default 0.2.
    /// </summary>
    [Range(0.0, 1.0)]
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>
    /// When true, the first step that fails for good cancels the rest of the run. When false
    /// (default), steps that do not depend on the failed one carry on.
    /// </summary>
    public bool StopOnFailure { get; set; }

    /// <summary>Characters of output shown in <see cref="Runs.StepCompleted.OutputPreview"/>. Default 160.</summary>
    [Range(0, 100_000)]
    public int OutputPreviewLength { get; set; } = 160;

    /// <summary>Throws when a value is out of range; called by the executor.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException(
                "Invalid PlanExecutorOptions: " + string.Join(" ", results.Select(r => r.ErrorMessage)),
                "options");
        }
    }
}
