using System.Text.Json;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Runs a verify step without a tool: a model judges the claim against the outputs of the step's
/// dependencies. A negative verdict fails the step for good with a <see cref="VerificationFailedException"/>
/// (no retry: the same judgement would come back), so the fallback and replanning apply; a verifier
/// call that fails or an unreadable verdict is retried.
/// </summary>
internal sealed class VerifyStepExecutor : IStepExecutor
{
    private readonly RunScope _scope;

    public VerifyStepExecutor(RunScope scope)
    {
        _scope = scope;
    }

    public bool CanExecute(PlanStep planStep) => planStep.Tool is null && planStep.Kind == StepKind.Verify;

    public async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        var step = context.Step;
        var inputs = new StepVerifyInputs(_scope.Goal, RunScope.Describe(context), _scope.ContextFor(context));
        var result = await RunScope.GuardAsync(step.Id, () => _scope.Gateway.InvokeAsync(inputs, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var reply = result.GetValue<string>() ?? string.Empty;
        using var document = ModelReplyJson.Extract(reply, e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("passed", out _));
        if (document?.RootElement is not { ValueKind: JsonValueKind.Object } root
            || !root.TryGetProperty("passed", out var passed)
            || passed.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw new StepExecutionException(step.Id, $"The verifier's answer for step '{step.Id}' is not {{\"passed\": bool, \"reason\": \"...\"}}: \"{PromptText.Short(reply, 120)}\".", isTransient: true);
        }

        var reason = root.TryGetProperty("reason", out var reasonElement) && reasonElement.ValueKind == JsonValueKind.String ? reasonElement.GetString()! : string.Empty;
        if (passed.ValueKind == JsonValueKind.False)
        {
            throw new VerificationFailedException(step.Id, reason);
        }

        var (input, output) = TokenUsage.Read(result.Metadata);
        return new StepOutput(JsonSerializer.Serialize(new VerifyVerdict(true, reason), VerdictJson.Options)) { Usage = new TokenUsage(1, input, output) };
    }

    private sealed record VerifyVerdict(bool Passed, string Reason);

    private static class VerdictJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    }
}
