namespace Plansmith.Plugins.Analyze;

/// <summary>How the analyze plugin runs code.</summary>
public sealed class AnalyzeOptions
{
    /// <summary>Limits of each run.</summary>
    public SandboxLimits Limits { get; set; } = new();

    /// <summary>Programs the model may write for one question before the analysis gives up. Default 3.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Characters of the data shown to the model in the prompt (the program gets all of it). Default 4,000.</summary>
    public int DataPreviewChars { get; set; } = 4_000;

    /// <summary>The most data one analysis takes, in characters. Default 5,000,000.</summary>
    public int MaxDataChars { get; set; } = 5_000_000;
}
