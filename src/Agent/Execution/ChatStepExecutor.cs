using Microsoft.SemanticKernel;
using Plansmith.Agent.Agents;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Execution;

/// <summary>
/// Runs an action step without a tool: a model does the step through the <c>step_execute</c>
/// prompt, with function calling limited to the plugins the step's agent may call (a kernel clone
/// holding only those) and a tool-call budget enforced by a filter.
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
        var nested = new NestedModelCallFilter(_scope.Gateway.Meter, _scope.Gateway.Prompts, _scope.Gateway.Prompts.Get(PromptNames.StepExecute), charge: false);
        kernel.FunctionInvocationFilters.Add(nested);
        var functions = kernel.Plugins.SelectMany(p => p).ToList();
        var inputs = new StepExecuteInputs(_scope.Goal, RunScope.Describe(context), _scope.ContextFor(context), profile?.Instructions ?? string.Empty);

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
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new StepExecutionException(step.Id, $"The model returned an empty answer for step '{step.Id}'.", isTransient: true);
        }

        var (input, output) = TokenUsage.Read(result.Metadata);
        var trips = filter.RoundTrips;
        var inner = nested.Usage;
        return new StepOutput(text) { Usage = new TokenUsage(1 + trips.ModelCalls + inner.ModelCalls, input + trips.InputTokens + inner.InputTokens, output + trips.OutputTokens + inner.OutputTokens) };
    }

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
