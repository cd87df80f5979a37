using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Statuses as the words stores write and people read: the member's name in lower case
/// (<c>completed</c>, <c>budgetexhausted</c>). Stores written by earlier versions hold the same words.
/// </summary>
public static class StatusText
{
    /// <summary>The run status as a lower-case word.</summary>
    public static string ToText(this StoredRunStatus status) => Word(status);

    /// <summary>The step status as a lower-case word.</summary>
    public static string ToText(this StepStatus status) => Word(status);

    /// <summary>Reads a run status written by <see cref="ToText(StoredRunStatus)"/>.</summary>
    /// <exception cref="FormatException">The text names no run status.</exception>
    public static StoredRunStatus ParseRunStatus(string text) => Parse<StoredRunStatus>(text, "run");

    /// <summary>Reads a step status written by <see cref="ToText(StepStatus)"/>.</summary>
    /// <exception cref="FormatException">The text names no step status.</exception>
    public static StepStatus ParseStepStatus(string text) => Parse<StepStatus>(text, "step");

    private static string Word<T>(T status)
        where T : struct, Enum =>
        Enum.IsDefined(status) ? status.ToString().ToLowerInvariant() : throw new ArgumentOutOfRangeException(nameof(status), status, "Not a defined status.");

    private static T Parse<T>(string text, string what)
        where T : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(text);

        // Names only: Enum.TryParse would also take "3" or "1, 2".
        if (text.Length > 0 && text.All(char.IsAsciiLetterLower) && Enum.TryParse<T>(text, ignoreCase: true, out var status))
        {
            return status;
        }

        throw new FormatException($"'{text}' is not a {what} status (expected one of: {string.Join(", ", Enum.GetValues<T>().Select(s => s.ToString().ToLowerInvariant()))}).");
    }
}
