using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>What the store records about a run's set-up (never a key), and what resume compares against it.</summary>
internal static class RunFingerprint
{
    /// <summary>The model, settings, prompt and tool fingerprints of a run about to start.</summary>
    public static RunInfo Describe(Kernel kernel, PromptLibrary prompts, string goal, PlansmithOptions options)
    {
        var service = kernel.Services.GetService(typeof(IChatCompletionService)) as IChatCompletionService;
        var model = service is null ? "unknown model" : service.GetModelId() ?? service.GetType().Name;
        var endpoint = service?.Attributes.TryGetValue("Endpoint", out var e) == true && e is not null ? $" at {e}" : string.Empty;
        var tools = kernel.Plugins.SelectMany(p => p.Select(f => $"{p.Name}.{f.Name}({string.Join(",", f.Metadata.Parameters.Select(x => x.Name))})")).Order(StringComparer.Ordinal).ToList();
        var promptPrints = string.Join(";", prompts.List().Select(p => p.Name + "=" + Hash(p.Template)[..8]));
        var optionsJson = JsonSerializer.Serialize(new
        {
            options.MaxSteps, options.MaxReplans, options.MaxDepth, options.MaxReflectionRounds, options.MaxPlanAttempts, options.MaxToolCallsPerStep, options.UseRouter,
            options.PlanWhileRouting, Speculation = options.Speculation.ToString(),
            options.Execution.MaxParallelism, options.Execution.MaxRetries, StepTimeout = options.Execution.StepTimeout.ToString(),
            options.Budget.MaxModelCalls, options.Budget.MaxTokens, MaxDuration = options.Budget.MaxDuration.ToString(), Agents = options.Agents.Keys,
            Metadata = options.RunMetadata,
        });
        return new RunInfo(goal, model + endpoint, optionsJson, promptPrints, Hash(string.Join("\n", tools)), tools);
    }

    /// <summary>What changed since a stored run started (prompts, tools), in words; empty when nothing did.</summary>
    public static List<string> Changes(RunInfo then, RunInfo now)
    {
        var warnings = new List<string>();
        if (now.PromptsFingerprint != then.PromptsFingerprint)
        {
            var changed = now.PromptsFingerprint.Split(';').Except(then.PromptsFingerprint.Split(';')).Select(p => p.Split('=')[0]).ToList();
            warnings.Add($"The prompts changed since the run started ({string.Join(", ", changed)}); the rest of the run uses the current ones.");
        }

        if (now.ToolsFingerprint != then.ToolsFingerprint)
        {
            var added = now.ToolNames.Except(then.ToolNames).ToList();
            var removed = then.ToolNames.Except(now.ToolNames).ToList();
            warnings.Add($"The tools changed since the run started (added: {(added.Count == 0 ? "none" : string.Join(", ", added))}; removed or changed: {(removed.Count == 0 ? "none" : string.Join(", ", removed))}).");
        }

        return warnings;
    }

    /// <summary>Whether running the step again cannot repeat a side effect.</summary>
    public static bool IsIdempotent(Kernel kernel, PlanStep? step)
    {
        if (step?.Tool is null || !ToolResolver.TryResolve(kernel.Plugins, step.Tool, out var function))
        {
            return false;
        }

        return IsIdempotent(function);
    }

    /// <summary>Whether calling the function again cannot repeat a side effect: <see cref="IdempotentAttribute"/> on its method, or <c>idempotent = true</c> in its metadata.</summary>
    public static bool IsIdempotent(KernelFunction function) =>
        function.Metadata.AdditionalProperties.TryGetValue("idempotent", out var flag) && flag is true
        || function.UnderlyingMethod?.GetCustomAttributes(typeof(IdempotentAttribute), inherit: false).Length > 0;

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}
