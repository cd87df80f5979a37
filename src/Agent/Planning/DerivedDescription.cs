using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The description of a tool step written without one, for people reading the plan:
/// <c>search.search(query: "Flask")</c>, long values shortened. A reference shows as <c>{s1}</c>:
/// the description holds none, so a bad reference is reported once, where it was written.
/// </summary>
internal static partial class DerivedDescription
{
    private const int MaxValueChars = 60;
    private const int MaxChars = 240;

    /// <summary><c>tool(name: value, …)</c>, at most 240 characters.</summary>
    public static string Of(string tool, IReadOnlyDictionary<string, JsonElement> arguments)
    {
        var text = new StringBuilder(tool).Append('(');
        var first = true;
        foreach (var (name, value) in arguments)
        {
            if (!first)
            {
                text.Append(", ");
            }

            first = false;
            text.Append(name).Append(": ").Append(Clip(OneLine(value.GetRawText()), MaxValueChars));
        }

        var whole = Dollars().Replace(text.Append(')').ToString(), "{");
        return whole.Length <= MaxChars ? whole : Clip(whole, MaxChars - 1) + ")";
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    /// <summary><c>${</c> and escaped <c>$${</c> alike.</summary>
    [GeneratedRegex(@"\$+\{", RegexOptions.CultureInvariant)]
    private static partial Regex Dollars();

    private static string OneLine(string raw)
    {
        if (!raw.Contains('\n', StringComparison.Ordinal) && !raw.Contains('\r', StringComparison.Ordinal))
        {
            return raw;
        }

        var text = new StringBuilder(raw.Length);
        foreach (var part in raw.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            text.Append(text.Length == 0 ? part.TrimEnd() : " " + part.Trim());
        }

        return text.ToString();
    }
}
