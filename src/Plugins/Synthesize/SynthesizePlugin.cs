using System.ComponentModel;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Planning;

namespace Plansmith.Plugins.Synthesize;

/// <summary>Writing for the research agent: answers from findings, and comparisons, in Markdown, through the prompts.</summary>
public sealed class SynthesizePlugin
{
    /// <summary>The name the plugin is registered under.</summary>
    public const string DefaultName = "synthesize";

    private readonly PromptLibrary _prompts;

    /// <summary>Creates the plugin over the prompt library.</summary>
    public SynthesizePlugin(PromptLibrary prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        _prompts = prompts;
    }

    /// <summary>Writes an answer to a goal from findings.</summary>
    [Idempotent]
    [KernelFunction("synthesize"), Description("Writes a Markdown answer to a goal from the findings gathered so far, saying where they fall short.")]
    public async Task<string> SynthesizeAsync(
        Kernel kernel,
        [Description("The question or goal to answer.")] string goal,
        [Description("The findings: search results, analyses, notes.")] string findings,
        CancellationToken cancellationToken = default)
    {
        var result = await _prompts.InvokeAsync(kernel, new SynthesizeInputs(goal, findings, string.Empty), cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.GetValue<string>() ?? string.Empty;
    }

    /// <summary>Compares items on criteria.</summary>
    [Idempotent]
    [KernelFunction("compare"), Description("Compares items on the given criteria in Markdown, as a table by default, with a short summary.")]
    public async Task<string> CompareAsync(
        Kernel kernel,
        [Description("The items to compare, with what is known of each.")] string items,
        [Description("What to compare them on, e.g. 'routing, performance, learning curve'.")] string criteria,
        [Description("Whether to lay the comparison out as a table (one row per item, one column per criterion).")] bool table = true,
        CancellationToken cancellationToken = default)
    {
        var inputs = new CompareInputs(items, criteria, table ? CompareInputs.Table : CompareInputs.Sections);
        var result = await _prompts.InvokeAsync(kernel, inputs, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.GetValue<string>() ?? string.Empty;
    }
}
