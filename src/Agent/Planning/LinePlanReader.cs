using System.Text.Json;
using System.Text.RegularExpressions;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Reads the line form of a plan, one step per line — the cheapest form for a model to write:
/// <code>
/// s1 = search.search(query="Flask routing", top=3)
/// s2 = search.search(query in ["Django", "FastAPI"])
/// s3 = @analyst "Compare ${s1} with ${s2}"
/// s4 = verify "Every framework is covered in ${s3}" after s1
/// s5 = files.read(path="notes.md") "Read the notes" else "Say the notes are missing"
/// </code>
/// A tool step is <c>id = tool(name=value, …)</c> with JSON values (bare words and single quotes
/// are tolerated); <c>name in [list]</c> makes it a map step. A step without a tool is a quoted
/// description, optionally after <c>verify</c>, <c>subgoal</c> or <c>@agent</c>; a tool step may
/// end with a quoted description. <c>after id, id</c> adds dependencies beyond the referenced
/// steps, <c>else</c> a fallback (a call or a quoted description), <c>#</c> a comment. Lines
/// that are not steps before the first step or after the last (prose, code fences) are ignored.
/// </summary>
internal static partial class LinePlanReader
{
    private const string Form = "write one step per line: s1 = plugin.function(name=\"value\"), s2 = plugin.function(name in [\"a\", \"b\"]) or s3 = \"what a model should do with ${s1}\"";

    /// <summary>Whether the reply is in the line form: it does not open with JSON and some line starts like a step.</summary>
    public static bool IsLineForm(string text)
    {
        var fence = text.IndexOf("```", StringComparison.Ordinal);
        var lineEnd = fence < 0 ? -1 : text.IndexOf('\n', fence);
        var first = (lineEnd < 0 ? text : text[(lineEnd + 1)..]).TrimStart();
        if (first.Length > 0 && first[0] is '{' or '[')
        {
            return false;
        }

        return text.TrimStart() is not ['{' or '[', ..] && StepStart().IsMatch(text);
    }

    /// <summary>Whether <paramref name="text"/> starts like a step of the line form.</summary>
    public static bool IsStep(string text) => StepStart().IsMatch(text);

    /// <summary>The steps of a reply in the line form; each line it cannot read is a problem.</summary>
    /// <param name="text">The reply, or one string of a JSON plan's steps array.</param>
    /// <param name="problems">Where problems go.</param>
    /// <param name="where">How problems name the text (e.g. "step number 2"); "line n" when null.</param>
    public static List<DraftStep> Read(string text, List<PlanProblem> problems, string? where = null)
    {
        var steps = new List<DraftStep>();
        var stray = new List<(int Line, string Text)>();
        var position = 0;
        var line = 1;
        var seen = false;
        while (position < text.Length)
        {
            var end = text.IndexOf('\n', position);
            end = end < 0 ? text.Length : end;
            var current = text[position..end].TrimEnd('\r');
            var next = end + 1;
            var start = StepStart().Match(current);
            if (start.Success)
            {
                // Lines between two steps that are not steps are mistakes, not prose.
                foreach (var (strayLine, strayText) in stray)
                {
                    problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, null, $"Line {strayLine} (\"{PlanProblemText.Short(strayText)}\") is not a step; {Form}."));
                }

                stray.Clear();
                var id = start.Groups["id"].Value;
                var scanner = new LineScanner(text, position + start.Length);
                seen = true;
                try
                {
                    steps.Add(ReadStep(id, scanner));

                    // A step may run over several lines inside brackets; go on after the line it ends on.
                    if (scanner.Position > end)
                    {
                        var after = text.IndexOf('\n', Math.Min(scanner.Position, text.Length));
                        next = after < 0 ? text.Length : after + 1;
                    }
                }
                catch (FormatException ex)
                {
                    // Go on with the next line: it may be the next step.
                    var at = where is null ? $"line {line}" : line == 1 ? where : $"{where}, line {line}";
                    problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, id, $"{at} (\"{PlanProblemText.Short(current.Trim())}\"): {ex.Message}; {Form}."));
                }
            }
            else if (seen && current.Trim() is { Length: > 0 } other && !other.StartsWith("```", StringComparison.Ordinal) && !other.StartsWith('#') && !other.StartsWith("//", StringComparison.Ordinal))
            {
                stray.Add((line, other));
            }

            next = Math.Min(next, text.Length);
            line += text.AsSpan(position, next - position).Count('\n');
            position = next;
        }

        return steps;
    }

    private static DraftStep ReadStep(string id, LineScanner scanner)
    {
        var kind = StepKind.Action;
        if (scanner.TryWord("verify"))
        {
            kind = StepKind.Verify;
        }
        else if (scanner.TryWord("subgoal"))
        {
            kind = StepKind.Subgoal;
        }
        else
        {
            scanner.TryWord("action");
        }

        string? agent = null;
        if (scanner.TryChar('@'))
        {
            agent = scanner.Name("an agent name after '@'");
        }

        var (tool, arguments, map, description) = ReadBody(scanner, allowMap: true);
        var dependencies = new List<string>();
        StepFallback? fallback = null;
        while (!scanner.AtLineEnd())
        {
            if (scanner.TryWord("after"))
            {
                ReadIds(scanner, dependencies);
            }
            else if (scanner.TryWord("else"))
            {
                var (fallbackTool, fallbackArguments, _, fallbackDescription) = ReadBody(scanner, allowMap: false);
                fallback = new StepFallback { Tool = fallbackTool, Arguments = fallbackArguments, Description = fallbackDescription ?? string.Empty };
            }
            else if (scanner.TryChar('#'))
            {
                scanner.SkipLine();
            }
            else if (scanner.TryChar(';'))
            {
                // A statement terminator out of habit.
            }
            else
            {
                throw new FormatException($"unexpected {scanner.Preview()} after the step; only \"after id, …\", \"else …\" or a # comment may follow");
            }
        }

        var step = new PlanStep
        {
            Id = id,
            Description = description ?? string.Empty,
            Dependencies = dependencies,
            Kind = kind,
            Tool = tool,
            Arguments = arguments,
            Agent = agent,
            Fallback = fallback,
        };
        return new DraftStep(step, map.Count > 0 ? map : null);
    }

    /// <summary>A call with an optional quoted description after it, or a quoted description alone.</summary>
    private static (string? Tool, Dictionary<string, JsonElement> Arguments, Dictionary<string, JsonElement> Map, string? Description) ReadBody(LineScanner scanner, bool allowMap)
    {
        var arguments = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var map = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (scanner.TryQuoted(out var text))
        {
            return (null, arguments, map, text);
        }

        var tool = scanner.ToolName();
        scanner.Expect('(', $"'(' after tool {tool}");
        var index = 0;
        while (!scanner.TryChar(')'))
        {
            index++;
            if (index > 1)
            {
                scanner.Expect(',', "',' or ')' between arguments");
                if (scanner.TryChar(')'))
                {
                    break;
                }
            }

            if (scanner.IsQuoteOrValueStart())
            {
                throw new FormatException($"argument {index} of {tool} has no name; write name=value with the parameter names listed with the tools");
            }

            var name = scanner.Name($"an argument name in the call of {tool}");
            if (scanner.TryWord("in"))
            {
                if (!allowMap)
                {
                    throw new FormatException($"a fallback cannot map; give '{name}' one value");
                }

                map[name] = scanner.Value();
            }
            else
            {
                scanner.Expect(['=', ':'], $"'=' after argument name '{name}'");
                arguments[name] = scanner.Value();
            }
        }

        return (tool, arguments, map, scanner.TryQuoted(out var description) ? description : null);
    }

    private static void ReadIds(LineScanner scanner, List<string> ids)
    {
        var bracket = scanner.TryChar('[');
        do
        {
            ids.Add(scanner.Name("a step id after \"after\""));
        }
        while (scanner.TryChar(',') || (!scanner.AtLineEnd() && scanner.IsNameStart() && !scanner.PeekWord("else")));

        if (bracket)
        {
            scanner.Expect(']', "']' after the ids");
        }
    }

    /// <summary>
    /// A line that starts a step: an optional bullet or number, an id, then '=' and what can begin
    /// a step (a kind, an agent, a quoted description or a call); ':' is taken before a call only.
    /// </summary>
    [GeneratedRegex("""^[ \t]*(?:[-*][ \t]+|\d{1,3}[.)][ \t]+)?(?<id>[A-Za-z0-9_-]+)[ \t]*(?:=(?=[ \t]*(?:(?:verify|subgoal|action)[ \t]|@|"|'|[A-Za-z_][\w-]*(?:\.[\w-]+)*[ \t]*\())|:(?=[ \t]*[A-Za-z_][\w-]*(?:\.[\w-]+)*[ \t]*\())[ \t]*""", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex StepStart();
}
