using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>The built-in synthesizer: the <c>synthesize</c> prompt over the step results, with a note when they are partial.</summary>
internal sealed class PromptSynthesizer : ISynthesizer
{
    public async IAsyncEnumerable<string> WriteStreamingAsync(RunContext run, AnswerRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var inputs = await InputsAsync(run, request, cancellationToken).ConfigureAwait(false);
        await foreach (var piece in run.Gateway.InvokeStreamingAsync(inputs, cancellationToken).ConfigureAwait(false))
        {
            yield return piece;
        }
    }

    public async Task<string> WriteAsync(RunContext run, AnswerRequest request, CancellationToken cancellationToken = default)
    {
        var inputs = await InputsAsync(run, request, cancellationToken).ConfigureAwait(false);
        var result = await run.Gateway.InvokeAsync(inputs, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.GetValue<string>() ?? string.Empty;
    }

    private static async Task<SynthesizeInputs> InputsAsync(RunContext run, AnswerRequest request, CancellationToken cancellationToken)
    {
        var error = request.Error ?? "unknown";
        var notes = request.IsPartial
            ? await run.Gateway.Prompts.RenderFragmentAsync(PromptNames.Synthesize, new SynthesizeNoteInputs(error) { Budget = request.Status == AgentRunStatus.BudgetExhausted }, cancellationToken).ConfigureAwait(false)
            : string.Empty;
        var plan = request.Plan;
        return new SynthesizeInputs(
            run.Goal,
            plan.Steps.Count == 0 ? "none" : PromptText.Results(plan, request.Records, run.Options.MaxOutputCharsInPrompt),
            notes)
        {
            Partial = request.Status switch
            {
                AgentRunStatus.BudgetExhausted => AnswerPartiality.Stopped,
                AgentRunStatus.Failed => AnswerPartiality.StepsFailed,
                _ => AnswerPartiality.None,
            },
            PartialReason = request.IsPartial ? request.Error : null,
        };
    }
}
