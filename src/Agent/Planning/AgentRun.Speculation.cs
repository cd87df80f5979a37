using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>Steps started while the plan is written (<see cref="PlansmithOptions.Speculation"/>), and what becomes of them once it is final.</summary>
internal sealed partial class AgentRun
{
    private void StartSpeculation(CancellationToken cancellationToken)
    {
        if (_options.Speculation == SpeculationMode.None || _speculator is not null)
        {
            return;
        }

        // The plan is streamed only when a step could start early: read-only mode needs a read-only tool.
        if (_options.Speculation == SpeculationMode.ReadOnly && !_run.Kernel.Plugins.Any(p => p.Any(RunFingerprint.IsIdempotent)))
        {
            return;
        }

        _speculator = new Speculator(_scope, _options.Speculation, cancellationToken);
        _run.StepWritten = _speculator.StepWritten;
    }

    /// <summary>
    /// Keeps the early results the final plan can use — recorded as the steps' start and completion,
    /// so the executor does not run them again — and records the others as discarded.
    /// </summary>
    private async Task SettleSpeculationAsync(Plan? final, string? whyNoPlan = null)
    {
        if (_speculator is not { } speculator)
        {
            return;
        }

        _speculator = null;
        _run.StepWritten = null;
        using (speculator)
        {
            var (kept, discarded) = await speculator.SettleAsync(final, whyNoPlan).ConfigureAwait(false);
            foreach (var (stepId, reason) in discarded)
            {
                await EmitAsync(new StepDiscarded { Timestamp = Now, Progress = _runEvents.Progress, StepId = stepId, Reason = reason }).ConfigureAwait(false);
            }

            var ordinal = 0;
            foreach (var record in kept)
            {
                var step = final!.FindStep(record.StepId)!;
                _outputs[record.StepId] = record.Output ?? string.Empty;
                _records[record.StepId] = record;
                var total = final.Steps.Count;
                var elapsed = Now - _startedAt;
                await EmitAsync(new StepStarted
                {
                    Timestamp = record.StartedAt ?? Now, Progress = new ExecutionProgress(total, ordinal, ordinal, 0, 0, 1, elapsed, null), StepId = step.Id, Description = step.Description, Ordinal = ++ordinal, Total = final.Steps.Count,
                }).ConfigureAwait(false);
                await EmitAsync(new StepCompleted
                {
                    Timestamp = record.EndedAt ?? Now,
                    Progress = new ExecutionProgress(total, ordinal, ordinal, 0, 0, 0, elapsed, null),
                    StepId = step.Id,
                    Description = step.Description,
                    OutputPreview = Execution.OutputPreview.Of(record.Output ?? string.Empty, _options.Execution.OutputPreviewLength),
                    Duration = record.Duration ?? TimeSpan.Zero,
                    Attempts = record.Attempts,
                    UsedFallback = record.UsedFallback,
                    Output = record.Output ?? string.Empty,
                    Usage = record.Usage,
                }).ConfigureAwait(false);
            }
        }
    }
}
