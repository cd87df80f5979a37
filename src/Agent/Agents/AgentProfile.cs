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

    /// <summary>
    /// Execution settings for the agent's model calls, e.g. <c>temperature</c>, <c>max_tokens</c>, as
    /// strings so that they bind from configuration; numbers and booleans are sent as such.
    /// </summary>
    public IDictionary<string, string> ExecutionSettings { get; set; } = new Dictionary<string, string>();

    /// <summary>A setting's value as it goes on the wire: a number or a boolean when it reads as one.</summary>
    internal static object Typed(string value) =>
        bool.TryParse(value, out var flag) ? flag
        : long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var whole) ? whole
        : double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number
        : value;
}
