namespace Plansmith.Agent.Agents;

/// <summary>
/// A specialised agent that plan steps can be assigned to with <c>"agent": "name"</c>: its own
/// instructions, the plugins it may call, and the chat service and settings it uses.
/// Bindable from configuration (<c>Plansmith:Agents:analyst:Instructions</c>, …).
/// </summary>
public sealed class AgentProfile
{
    /// <summary>What the agent is and how it works; goes into the system message of its steps.</summary>
    public string Instructions { get; set; } = string.Empty;

    /// <summary>Plugins the agent may call, by plugin name; null allows every plugin of the kernel, empty allows none.</summary>
    public IList<string>? Plugins { get; set; }

    /// <summary>The kernel's chat service to use, by service id; null for the default service.</summary>
    public string? ServiceId { get; set; }

    /// <summary>Execution settings for the agent's model calls, e.g. <c>temperature</c>, <c>max_tokens</c>.</summary>
    public IDictionary<string, object> ExecutionSettings { get; set; } = new Dictionary<string, object>();
}
