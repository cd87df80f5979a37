using System.Collections;
using System.Reflection;

namespace Plansmith.Agent.Runs;

/// <summary>Model calls and tokens, summed over every request of a run.</summary>
/// <param name="ModelCalls">
/// Requests sent to a chat model — what a provider bills and what its usage page shows: every
/// planning, step, verify and answer request (a re-asked answer or plan counts again), each
/// tool-calling round trip of a step (a step that calls a tool is two requests), and each request
/// a tool makes through one of the prompts. An HTTP retry of a request that got no answer (an error
/// status, a dropped connection) is part of the same call.
/// </param>
/// <param name="InputTokens">Prompt tokens, as the model reported them.</param>
/// <param name="OutputTokens">Completion tokens, as the model reported them.</param>
public readonly record struct TokenUsage(int ModelCalls, long InputTokens, long OutputTokens)
{
    /// <summary>Input plus output tokens.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>
    /// Reads token counts from a response's metadata. Connectors report usage differently: the
    /// OpenAI connector as <c>ChatTokenUsage</c> (InputTokenCount/OutputTokenCount),
    /// Microsoft.Extensions.AI as <c>UsageDetails</c>, others as dictionaries of
    /// <c>prompt_tokens</c>/<c>completion_tokens</c>. Unknown shapes count as zero.
    /// </summary>
    public static (long Input, long Output) Read(IReadOnlyDictionary<string, object?>? metadata)
    {
        if (metadata is null || !metadata.TryGetValue("Usage", out var usage) || usage is null)
        {
            return (0, 0);
        }

        if (usage is Microsoft.Extensions.AI.UsageDetails details)
        {
            return (details.InputTokenCount ?? 0, details.OutputTokenCount ?? 0);
        }

        if (usage is IDictionary dictionary)
        {
            return (ToLong(dictionary["prompt_tokens"] ?? dictionary["input_tokens"]), ToLong(dictionary["completion_tokens"] ?? dictionary["output_tokens"]));
        }

        var type = usage.GetType();
        return (ToLong(Property(type, usage, "InputTokenCount", "PromptTokens", "InputTokens")), ToLong(Property(type, usage, "OutputTokenCount", "CompletionTokens", "OutputTokens")));
    }

    private static object? Property(Type type, object target, params string[] names)
    {
        foreach (var name in names)
        {
            if (type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is { } property)
            {
                return property.GetValue(target);
            }
        }

        return null;
    }

    private static long ToLong(object? value) => value switch
    {
        int i => i,
        long l => l,
        null => 0,
        _ => long.TryParse(value.ToString(), out var parsed) ? parsed : 0,
    };
}
