namespace Plansmith.Agent.Execution;

/// <summary>The start of a step's output on one line, for <see cref="Runs.StepCompleted.OutputPreview"/>.</summary>
internal static class OutputPreview
{
    /// <summary>The output with line breaks as spaces, cut at <paramref name="limit"/> characters with a mark.</summary>
    public static string Of(string output, int limit)
    {
        var oneLine = output.ReplaceLineEndings(" ");
        return oneLine.Length <= limit ? oneLine : oneLine[..limit] + "…";
    }
}
