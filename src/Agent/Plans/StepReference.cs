using System.Globalization;
using System.Text;

namespace Plansmith.Agent.Plans;

/// <summary>
/// A <c>${step}</c> or <c>${step.path[0].to}</c> reference inside a string argument: the output
/// of <see cref="StepId"/>, or a path into that output read as JSON.
/// </summary>
public sealed record StepReference
{
    internal StepReference(string text, string stepId, IReadOnlyList<ReferencePathSegment> path)
    {
        Text = text;
        StepId = stepId;
        Path = path;
    }

    /// <summary>The reference as written, e.g. <c>${s1.items[0]}</c>.</summary>
    public string Text { get; }

    /// <summary>The step whose output is referenced.</summary>
    public string StepId { get; }

    /// <summary>The path into the step's JSON output; empty for the whole output text.</summary>
    public IReadOnlyList<ReferencePathSegment> Path { get; }

    /// <summary>The path as written after the step id, e.g. <c>.items[0]</c>; empty for none.</summary>
    public string PathText => string.Concat(Path.Select(s => s.ToString()));

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>One hop of a reference path: a property name or an array index.</summary>
public readonly record struct ReferencePathSegment(string? Property, int Index)
{
    /// <summary>Whether the hop is an array index rather than a property.</summary>
    public bool IsIndex => Property is null;

    /// <inheritdoc />
    public override string ToString() => IsIndex
        ? "[" + Index.ToString(CultureInfo.InvariantCulture) + "]"
        : "." + Property;
}

/// <summary>
/// Finds <c>${...}</c> references in argument text. <c>$${</c> writes a literal <c>${</c>.
/// Step ids may hold letters, digits, <c>_</c> and <c>-</c>.
/// </summary>
public static class StepReferences
{
    /// <summary>Whether <paramref name="id"/> can be named by a reference.</summary>
    public static bool IsValidId(string id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!IsIdChar(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Splits <paramref name="text"/> into literal text and references. Malformed references are
    /// returned as errors, one message each.
    /// </summary>
    public static IReadOnlyList<TemplatePart> Parse(string text, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<TemplatePart>();
        var errorList = new List<string>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '$' && i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{')
            {
                literal.Append("${");
                i += 3;
                continue;
            }

            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    errorList.Add($"reference starting \"{Preview(text[i..])}\" has no closing '}}'; write ${{step}} or ${{step.path}}, or $${{ for a literal ${{.");
                    literal.Append(text, i, text.Length - i);
                    break;
                }

                var inner = text[(i + 2)..close];
                var reference = ParseInner(text[i..(close + 1)], inner, out var error);
                if (reference is null)
                {
                    errorList.Add(error!);
                    literal.Append(text, i, close + 1 - i);
                }
                else
                {
                    if (literal.Length > 0)
                    {
                        parts.Add(new TemplatePart(literal.ToString(), null));
                        literal.Clear();
                    }

                    parts.Add(new TemplatePart(null, reference));
                }

                i = close + 1;
                continue;
            }

            literal.Append(text[i]);
            i++;
        }

        if (literal.Length > 0)
        {
            parts.Add(new TemplatePart(literal.ToString(), null));
        }

        errors = errorList;
        return parts;
    }

    /// <summary>Every well-formed reference in <paramref name="text"/>.</summary>
    public static IEnumerable<StepReference> Find(string text) =>
        Parse(text, out _).Where(p => p.Reference is not null).Select(p => p.Reference!);

    private static StepReference? ParseInner(string whole, string inner, out string? error)
    {
        error = null;
        var i = 0;
        while (i < inner.Length && IsIdChar(inner[i]))
        {
            i++;
        }

        if (i == 0)
        {
            error = $"reference {whole} does not start with a step id; write ${{step}} or ${{step.field}} with an id made of letters, digits, '_' or '-'.";
            return null;
        }

        var stepId = inner[..i];
        var path = new List<ReferencePathSegment>();
        while (i < inner.Length)
        {
            if (inner[i] == '.')
            {
                var start = ++i;
                while (i < inner.Length && inner[i] is not ('.' or '['))
                {
                    i++;
                }

                if (i == start)
                {
                    error = $"reference {whole} has an empty field name after '.'.";
                    return null;
                }

                path.Add(new ReferencePathSegment(inner[start..i], 0));
            }
            else if (inner[i] == '[')
            {
                var close = inner.IndexOf(']', i);
                if (close < 0 || !int.TryParse(inner.AsSpan(i + 1, close - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    error = $"reference {whole} has a malformed index; write [0], [1], ….";
                    return null;
                }

                path.Add(new ReferencePathSegment(null, index));
                i = close + 1;
            }
            else
            {
                error = $"reference {whole} has an unexpected '{inner[i]}' after the step id; write ${{{stepId}}} or ${{{stepId}.field[0]}}.";
                return null;
            }
        }

        return new StepReference(whole, stepId, path);
    }

    private static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';

    private static string Preview(string text) => text.Length > 24 ? text[..24] + "…" : text;
}

/// <summary>A piece of a template: literal text, or a reference.</summary>
/// <param name="Literal">The literal text, when this part is not a reference.</param>
/// <param name="Reference">The reference, when this part is one.</param>
public readonly record struct TemplatePart(string? Literal, StepReference? Reference);
