using Microsoft.SemanticKernel;
using Plansmith.Agent.Agents;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Runs an action step without a tool: a model does the step through the <c>step_execute</c>
/// prompt, with function calling limited to the plugins the step's agent may call (a kernel clone
/// holding only those) and a tool-call budget enforced by a filter. When every tool call of the step
/// failed and the model's answer is no more than those errors passed on, the step fails with the
/// tool's error (so retries, the fallback and replanning apply) instead of completing with an error
/// as its output; a model that goes on to answer in its own words after a failed call completes the step.
/// </summary>
internal sealed class ChatStepExecutor : IStepExecutor
{
    private readonly RunScope _scope;

    public ChatStepExecutor(RunScope scope)
    {
        _scope = scope;
    }

    public bool CanExecute(PlanStep planStep) => planStep.Tool is null && planStep.Kind == StepKind.Action;

    public async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        var step = context.Step;
        var profile = Profile(step);
        var kernel = RunScope.KernelFor(context.Kernel, profile?.Plugins);
        var filter = new ToolBudgetFilter(_scope.Options.MaxToolCallsPerStep, _scope.Gateway.Meter);
        kernel.AutoFunctionInvocationFilters.Add(filter);
        var functions = kernel.Plugins.SelectMany(p => p).ToList();
        var inputs = new StepExecuteInputs(_scope.Goal, RunScope.Describe(context), _scope.ContextFor(context), profile?.Instructions ?? string.Empty);

        // Measures what the step spends: its own call and any prompt its tools call.
        using var usage = UsageScope.Begin();
        var result = await RunScope.GuardAsync(step.Id, () => _scope.Gateway.InvokeAsync(
            inputs,
            kernel,
            settings =>
            {
                settings.FunctionChoiceBehavior = functions.Count > 0 && _scope.Options.MaxToolCallsPerStep > 0
                    ? FunctionChoiceBehavior.Auto(functions, autoInvoke: true)
                    : null;
                if (profile is not null)
                {
                    settings.ServiceId = profile.ServiceId ?? settings.ServiceId;
                    foreach (var (key, value) in profile.ExecutionSettings)
                    {
                        settings.ExtensionData![key] = AgentProfile.Typed(value);
                    }
                }
            },
            cancellationToken: cancellationToken)).ConfigureAwait(false);

        if (filter.StopReason is { } reason)
        {
            throw new StepExecutionException(step.Id, $"Step '{step.Id}' was stopped: {reason}.", isTransient: false);
        }

        var text = result.GetValue<string>();
        var failures = filter.Failures;
        if (failures.Count > 0 && filter.Succeeded == 0 && OnlyRelays(text, failures, step.Description))
        {
            throw new StepExecutionException(
                step.Id,
                $"Step '{step.Id}' failed: every tool call it made failed, and the model's answer only passed the error on. {failures[^1]}",
                isTransient: true);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw new StepExecutionException(step.Id, $"The model returned an empty answer for step '{step.Id}'.", isTransient: true);
        }

        var calls = usage.Total;
        var trips = filter.RoundTrips;
        return new StepOutput(text) { Usage = new TokenUsage(calls.ModelCalls + trips.ModelCalls, calls.InputTokens + trips.InputTokens, calls.OutputTokens + trips.OutputTokens) };
    }

    /// <summary>
    /// Whether <paramref name="text"/> says nothing beyond the tool errors (and the step's own words):
    /// empty, or fewer than a sentence's worth of other words once those are taken out.
    /// </summary>
    internal static bool OnlyRelays(string? text, IReadOnlyList<string> errors, string stepDescription)
    {
        const int OwnWords = 8;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var rest = text;
        foreach (var error in errors.OrderByDescending(e => e.Length))
        {
            rest = rest.Replace(error, " ", StringComparison.OrdinalIgnoreCase);
        }

        if (stepDescription.Length > 0)
        {
            rest = rest.Replace(stepDescription, " ", StringComparison.OrdinalIgnoreCase);
        }

        var errorWords = errors.SelectMany(Words).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return Words(rest).Count(w => !errorWords.Contains(w)) < OwnWords;
    }

    private static IEnumerable<string> Words(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Trim('.', ',', ':', ';', '!', '?', '"', '\'', '(', ')', '*', '`', '-'))
            .Where(w => w.Any(char.IsLetter));

    private AgentProfile? Profile(PlanStep step)
    {
        if (step.Agent is null)
        {
            return null;
        }

        return _scope.Options.Agents.TryGetValue(step.Agent, out var profile)
            ? profile
            : throw new StepExecutionException(step.Id, $"Step '{step.Id}' names agent '{step.Agent}', which is not configured. Configured agents: {string.Join(", ", _scope.Options.Agents.Keys)}.", isTransient: false);
    }
}
