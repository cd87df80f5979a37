using System.Text.RegularExpressions;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The note the answer prompt gets (its <c>notes</c> input) when a run ends partial: a fact line
/// saying what happened, a <c>Why:</c> line with the reason, and an instruction line for the writer.
/// The instruction is for the model, never for the user: a writer that arranges rather than writes
/// (the offline model) reads the note with <see cref="TryRead"/> and says it in its own words.
/// </summary>
internal static class AnswerNotes
{
    /// <summary>How the note's first line starts when the plan was stopped by its budget.</summary>
    public const string StoppedLead = "Note: the plan was stopped before it finished, so these results are partial.";

    /// <summary>How the note's first line starts when steps failed.</summary>
    public const string FailedLead = "Note: some steps failed, so these results do not cover the whole goal.";

    private const string WhyLead = "Why: ";

    /// <summary>The note for a run that ended <paramref name="status"/> because of <paramref name="error"/>; empty for a complete run.</summary>
    public static string For(Runs.AgentRunStatus status, string? error)
    {
        var why = WhyLead + OneLine(error ?? "not recorded");
        return status switch
        {
            Runs.AgentRunStatus.BudgetExhausted => $"{StoppedLead}\n{why}\nAnswer from these partial results, and say plainly at the start that the answer is incomplete and why.",
            Runs.AgentRunStatus.Failed => $"{FailedLead}\n{why}\nAnswer from the results there are, and say plainly which parts of the goal they do not cover.",
            _ => string.Empty,
        };
    }

    /// <summary>
    /// Splits the text after the results heading of an answer request into the results and the
    /// note: whether the run is partial (and which way), and the reason. The note is taken only
    /// where it starts a line after the results, so a document that quotes it stays a document.
    /// </summary>
    public static (string Results, bool Stopped, bool Failed, string? Reason) TryRead(string text)
    {
        var matches = NoteStart().Matches(text);
        if (matches.Count == 0)
        {
            return (text, false, false, null);
        }

        var last = matches[^1];
        var note = text[last.Index..];
        var reason = note.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(WhyLead, StringComparison.Ordinal))?[WhyLead.Length..].Trim();
        var stopped = note.TrimStart().StartsWith(StoppedLead, StringComparison.Ordinal);
        return (text[..last.Index].TrimEnd(), stopped, !stopped, reason);
    }

    private static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static Regex NoteStart() => Start;

    private static readonly Regex Start = new($@"(?:^|\n)[ \t]*(?:{Regex.Escape(StoppedLead)}|{Regex.Escape(FailedLead)})", RegexOptions.CultureInvariant);
}
