namespace Plansmith.Agent.Plans;

/// <summary>Wording shared by the plan checks, so every problem names steps and lists names alike.</summary>
internal static class PlanProblemText
{
    private const int MaxNamesListed = 25;

    /// <summary>The names joined with commas, at most 25 of them, then "…".</summary>
    public static string ListNames(IEnumerable<string> names)
    {
        var list = names.Take(MaxNamesListed + 1).ToList();
        var shown = string.Join(", ", list.Take(MaxNamesListed));
        return list.Count > MaxNamesListed ? shown + ", …" : shown;
    }

    /// <summary>The step id a problem names: null for a blank id, which names no step.</summary>
    public static string? NullIfEmpty(string id) => string.IsNullOrWhiteSpace(id) ? null : id;

    /// <summary>The first 40 characters of a text, then "…".</summary>
    public static string Short(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
