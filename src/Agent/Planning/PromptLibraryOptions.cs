namespace Plansmith.Agent.Planning;

/// <summary>Where prompts come from and how edits are picked up.</summary>
public sealed class PromptLibraryOptions
{
    /// <summary>
    /// A folder of prompt directories that replace the built-in prompts function by function, or
    /// null to use only the built-in ones.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>Whether to reload the folder when its files change. Default true.</summary>
    public bool Watch { get; set; } = true;

    /// <summary>How long to wait after the last change before reloading. Default 200 ms.</summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
