using System.Text;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Planning;

/// <summary>The answer (written whole, capped, asked again when it is not) and the run's end.</summary>
internal sealed partial class AgentRun
{
    private async Task<(string Answer, string? Error)> SynthesizeAsync(AgentRunStatus status, string? error, CancellationToken cancellationToken)
    {
        var plan = _plan ?? new Plan([], _goal);
        var request = new AnswerRequest(plan, [.. plan.Steps.Select(s => RecordOf(s.Id))], status, error);

        // The answer's own calls are always allowed, so that a run stopped by its budget still
        // answers. The first is streamed; an answer that is not whole (cut off, empty, garbage,
        // an error event, stalled, truncated at the token limit) is discarded and asked again
        // without streaming, a bounded number of times. An error status after the HTTP client's
        // retries, or a spent total timeout, is not asked again.
        using var exempt = BudgetChatCompletionService.Exempt();
        var problems = new List<string>();
        var attempts = 0;
        for (var attempt = 0; attempt <= AnswerReasks; attempt++)
        {
            string text;
            attempts++;
            try
            {
                text = attempt == 0
                    ? await StreamAnswerAsync(request, cancellationToken).ConfigureAwait(false)
                    : await _agent.Synthesizer.WriteAsync(_run, request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not RunStoreException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
            {
                // Any provider fault (connector exceptions differ by path and provider): the
                // run's results stand, and the missing answer is reported, not thrown. A store
                // failure is not the model's: it stops the run.
                var problem = ex is ModelCallException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
                PlanningAgent.Log.AnswerFailed(_agent.Logger, problem);
                problems.Add(problem);
                if (ex is ModelCallException { IsIncomplete: true })
                {
                    continue;
                }

                break;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                const string Empty = "The model returned an empty answer.";
                PlanningAgent.Log.AnswerFailed(_agent.Logger, Empty);
                problems.Add(Empty);
                continue;
            }

            if (text.Length > _options.MaxAnswerChars)
            {
                // A runaway reply: keep what fits, say where it was cut, and do not call the run complete.
                var cut = text[.._options.MaxAnswerChars] + $"\n\n[… the answer was cut at {_options.MaxAnswerChars:N0} characters]";
                await EmitAsync(new AnswerCompleted { Timestamp = Now, Progress = _runEvents.Progress, Answer = cut, Partial = true }).ConfigureAwait(false);
                return (cut, $"The model's answer ran past {_options.MaxAnswerChars:N0} characters and was cut there. Raise Plansmith:MaxAnswerChars if longer answers are expected.");
            }

            await EmitAsync(new AnswerCompleted { Timestamp = Now, Progress = _runEvents.Progress, Answer = text, Partial = status != AgentRunStatus.Completed }).ConfigureAwait(false);
            return (text, null);
        }

        return (string.Empty, $"No complete answer could be written in {attempts} attempt(s); the step results are in the run record. {string.Join(" ", problems.Distinct(StringComparer.Ordinal))}");
    }

    /// <summary>Streams the answer, reporting each piece; the text only when the stream ended whole.</summary>
    private async Task<string> StreamAnswerAsync(AnswerRequest request, CancellationToken cancellationToken)
    {
        var answer = new StringBuilder();
        await foreach (var piece in _agent.Synthesizer.WriteStreamingAsync(_run, request, cancellationToken).ConfigureAwait(false))
        {
            var room = _options.MaxAnswerChars + 1 - answer.Length;
            var kept = piece.Length <= room ? piece : piece[..room];
            answer.Append(kept);
            await EmitAsync(new AnswerDelta { Timestamp = Now, Progress = _runEvents.Progress, Text = kept }).ConfigureAwait(false);
            if (answer.Length > _options.MaxAnswerChars)
            {
                // Past the cap: stop reading (leaving the loop closes the stream); the caller cuts and reports it.
                break;
            }
        }

        return answer.ToString();
    }

    private async Task<AgentRunResult> FinishAsync(AgentRunStatus status, string answer, string? error)
    {
        // A run halted by its store ends with the store's error, not as cancelled or failed.
        ThrowIfStoreFailed();

        // Steps started early for a plan that never became final are thrown away, on the record.
        await SettleSpeculationAsync(null, status == AgentRunStatus.Answered ? "the request was answered without a plan" : null).ConfigureAwait(false);
        var plan = _plan ?? _versions.LastOrDefault();
        List<ExecutionEvent> events;
        lock (_eventsLock)
        {
            events = [.. _events];
        }

        var result = new AgentRunResult
        {
            Goal = _goal,
            Status = status,
            Answer = answer,
            Plan = plan,
            PlanVersions = [.. _versions],
            Steps = plan is null ? [] : [.. plan.Steps.Select(s => RecordOf(s.Id))],
            Events = events,
            Usage = _meter.Usage,
            Replans = _replans,
            StartedAt = _startedAt,
            EndedAt = Now,
            Error = error,
            RejectedByApprover = _rejectedByApprover,
        };
        if (_agent.Store is { } store && _runId is { } id)
        {
            await StoreAsync(() => store.CompleteRunAsync(id, status, answer, error, result.Usage, CancellationToken.None)).ConfigureAwait(false);
        }

        result = result with { RunId = _runId };
        var completed = new RunCompleted { Timestamp = Now, Progress = _runEvents.Progress, Result = result };
        result = result with { Events = [.. events, completed] };
        completed = completed with { Result = result };
        await EmitAsync(completed).ConfigureAwait(false);
        PlanningAgent.Log.RunEnded(_agent.Logger, status, result.Usage.ModelCalls, result.Usage.TotalTokens);
        return result;
    }
}
