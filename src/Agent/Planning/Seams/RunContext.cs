using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// One run as the planner, router and synthesizer see it: the goal, the conversation it came from,
/// the settings in force, the run's kernel (the host's chat service behind the run's budget, and
/// the plugins steps may call), what the run has spent, and its event stream.
/// </summary>
/// <remarks>Made by the agent for each run; implementations of the seams read it, they do not keep it.</remarks>
public sealed class RunContext
{
    private readonly RunEvents _events;
    private string? _toolsText;
    private string? _agentsText;

    internal RunContext(string goal, IReadOnlyList<ChatMessage> conversation, PlansmithOptions options, Kernel kernel, ModelGateway gateway, RunEvents events)
    {
        Goal = goal;
        Conversation = conversation;
        Options = options;
        Kernel = kernel;
        Gateway = gateway;
        _events = events;
    }

    /// <summary>What the user asked for.</summary>
    public string Goal { get; }

    /// <summary>Earlier turns of the conversation the goal came from, oldest first; empty when there are none.</summary>
    public IReadOnlyList<ChatMessage> Conversation { get; }

    /// <summary>The settings in force for this run.</summary>
    public PlansmithOptions Options { get; }

    /// <summary>The run's kernel: its chat service, and the plugins a plan may use.</summary>
    public Kernel Kernel { get; }

    /// <summary>Model calls and tokens the run has spent so far.</summary>
    public TokenUsage Usage => Gateway.Meter.Usage;

    /// <summary>The run's clock: now.</summary>
    public DateTimeOffset Now => _events.Now;

    /// <summary>Where the run stands (steps finished, running, estimated time left).</summary>
    public ExecutionProgress Progress => _events.Progress;

    /// <summary>
    /// Called by a planner that streams its plan with each step as soon as it is written and
    /// checked, so the run can start it early (see <see cref="PlansmithOptions.Speculation"/>);
    /// null when the run does not start steps early.
    /// </summary>
    public Action<Plans.PlanStep>? StepWritten { get; internal set; }

    /// <summary>The model calls of this run, metered and held to its budget.</summary>
    internal ModelGateway Gateway { get; }

    internal RunEvents Events => _events;

    /// <summary>The plugins a plan may use, as the prompts list them.</summary>
    internal string ToolsText => _toolsText ??= PromptText.Tools(Kernel.Plugins);

    /// <summary>The agent profiles a step may name, as the prompts list them.</summary>
    internal string AgentsText => _agentsText ??= PromptText.Agents(Options.Agents);

    /// <summary>The conversation as the prompts show it: one line per turn, or empty.</summary>
    internal string ConversationText => ConversationFormat.Render(Conversation);

    /// <summary>Adds an event to the run's stream (stamped with the time and progress when left unset).</summary>
    public ValueTask EmitAsync(ExecutionEvent executionEvent)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        if (executionEvent.Timestamp == default)
        {
            executionEvent = executionEvent with { Timestamp = Now, Progress = Progress };
        }

        return _events.EmitAsync(executionEvent);
    }
}
