using System.Text.Json;

namespace Plansmith.Agent.Planning;

/// <summary>The built-in router: asks the <c>route</c> prompt whether the goal needs a plan. Anything but a clear "no plan, here is the answer" means: plan it.</summary>
internal sealed class PromptRouter : IRouter
{
    public async Task<RouteDecision> RouteAsync(RunContext run, CancellationToken cancellationToken = default)
    {
        var reply = await PromptPlanner.CallAsync(run, new RouteInputs(run.Goal, run.ToolsText), cancellationToken).ConfigureAwait(false);
        using var document = ModelReplyJson.Extract(reply, e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("plan", out _));
        if (document?.RootElement is { ValueKind: JsonValueKind.Object } root
            && root.TryGetProperty("plan", out var plan) && plan.ValueKind == JsonValueKind.False
            && root.TryGetProperty("answer", out var answer) && answer.ValueKind == JsonValueKind.String
            && !string.IsNullOrWhiteSpace(answer.GetString()))
        {
            return new RouteDecision(false, answer.GetString()!);
        }

        // Anything else, garbage included, means: plan it. Planning is the safe default.
        return new RouteDecision(true, string.Empty);
    }
}
