using System.Text;
using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Reads the pieces of one step of the line form (<see cref="LinePlanReader"/>): words, names,
/// quoted text and JSON values. Spaces separate pieces; inside a call's parentheses and inside a
/// value line breaks do too. What it cannot read is a <see cref="FormatException"/> saying what it expected.
/// </summary>
internal sealed class LineScanner
{
    private readonly string _text;
    private int _depth;

    public LineScanner(string text, int position)
    {
        _text = text;
        Position = position;
    }

    /// <summary>Where reading stopped.</summary>
    public int Position { get; private set; }

    public bool AtLineEnd()
    {
        SkipSpace();
        return Position >= _text.Length || _text[Position] == '\n';
    }

    public void SkipLine()
    {
        var end = _text.IndexOf('\n', Position);
        Position = end < 0 ? _text.Length : end;
    }

    /// <summary>Takes <paramref name="word"/> when it comes next as a whole word.</summary>
    public bool TryWord(string word)
    {
        if (!PeekWord(word))
        {
            return false;
        }

        Position += word.Length;
        return true;
    }

    public bool PeekWord(string word)
    {
        SkipSpace();
        var end = Position + word.Length;
        return end <= _text.Length
               && string.CompareOrdinal(_text, Position, word, 0, word.Length) == 0
               && (end == _text.Length || !(IsNameChar(_text[end]) || _text[end] is '.' or '('));
    }

    public bool TryChar(char c)
    {
        SkipSpace();
        if (Position >= _text.Length || _text[Position] != c)
        {
            return false;
        }

        Position++;
        _depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        return true;
    }

    public void Expect(char c, string what) => Expect([c], what);

    public void Expect(char[] any, string what)
    {
        foreach (var c in any)
        {
            if (TryChar(c))
            {
                return;
            }
        }

        throw Expected(what);
    }

    public bool IsNameStart()
    {
        SkipSpace();
        return Position < _text.Length && IsNameChar(_text[Position]);
    }

    /// <summary>Whether a value without a name comes next (a positional argument).</summary>
    public bool IsQuoteOrValueStart()
    {
        SkipSpace();
        return Position < _text.Length && (_text[Position] is '"' or '\'' or '[' or '{' or '$' or '-' || char.IsAsciiDigit(_text[Position]));
    }

    /// <summary>An id or a parameter or agent name: letters, digits, '_' and '-'.</summary>
    public string Name(string what)
    {
        SkipSpace();
        var start = Position;
        while (Position < _text.Length && IsNameChar(_text[Position]))
        {
            Position++;
        }

        return Position > start ? _text[start..Position] : throw Expected(what);
    }

    /// <summary>A tool name such as <c>plugin.function</c>.</summary>
    public string ToolName()
    {
        SkipSpace();
        var start = Position;
        while (Position < _text.Length && (IsNameChar(_text[Position]) || (_text[Position] == '.' && Position > start)))
        {
            Position++;
        }

        return Position > start ? _text[start..Position] : throw Expected("a tool call such as plugin.function(name=\"value\") or a quoted description");
    }

    /// <summary>Text in double (JSON) or single quotes, when it comes next.</summary>
    public bool TryQuoted(out string? text)
    {
        SkipSpace();
        text = null;
        if (Position >= _text.Length || _text[Position] is not ('"' or '\''))
        {
            return false;
        }

        var value = Value();
        text = value.GetString();
        return true;
    }

    /// <summary>A JSON value; also a single-quoted string, a bare word (a string) and True, False, None.</summary>
    public JsonElement Value()
    {
        SkipSpace();
        if (Position >= _text.Length || _text[Position] == '\n')
        {
            throw Expected("a value");
        }

        var start = Position;
        switch (_text[Position])
        {
            case '"':
                return Parse(_text[start..SkipString(start, '"')]);
            case '\'':
                return JsonSerializer.SerializeToElement(SingleQuoted(_text[(start + 1)..(SkipString(start, '\'') - 1)]));
            case '[' or '{':
                var raw = _text[start..SkipBalanced(start)];
                return TryParse(raw, out var value) || TryParse(SingleToDoubleQuotes(raw), out value)
                    ? value
                    : throw new FormatException($"the value {PlanProblemText.Short(raw)} is not JSON");
            default:
                while (Position < _text.Length && !char.IsWhiteSpace(_text[Position]) && _text[Position] is not (',' or ')' or ']' or '}' or '#'))
                {
                    Position++;
                }

                var word = _text[start..Position];
                word = word switch { "True" => "true", "False" => "false", "None" => "null", _ => word };
                return TryParse(word, out var scalar) ? scalar : JsonSerializer.SerializeToElement(word);
        }
    }

    /// <summary>Up to 20 characters of what comes next, for messages.</summary>
    public string Preview()
    {
        SkipSpace();
        var end = _text.IndexOf('\n', Position);
        var rest = _text[Position..(end < 0 ? _text.Length : end)].TrimEnd('\r');
        return rest.Length == 0 ? "the end of the line" : "\"" + PlanProblemText.Short(rest.Length > 20 ? rest[..20] + "…" : rest) + "\"";
    }

    /// <summary>A single quote between letters (Flask's) is an apostrophe, not the end of a single-quoted string.</summary>
    private bool IsApostrophe(int i) =>
        _text[i] == '\'' && i + 1 < _text.Length && char.IsLetter(_text[i + 1]) && char.IsLetter(_text[i - 1]);

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';

    private static JsonElement Parse(string json) =>
        TryParse(json, out var value) ? value : throw new FormatException($"{PlanProblemText.Short(json)} is not a valid JSON string");

    private static bool TryParse(string json, out JsonElement value)
    {
        try
        {
            using var document = JsonDocument.Parse(json, ModelReplyJson.DocumentOptions);
            value = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            value = default;
            return false;
        }
    }

    private static string SingleQuoted(string inner) => inner.Replace("\\'", "'", StringComparison.Ordinal);

    /// <summary>Python-style lists and objects: 'text' becomes "text".</summary>
    private static string SingleToDoubleQuotes(string raw)
    {
        var result = new StringBuilder(raw.Length);
        char? quote = null;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (quote is null)
            {
                quote = c is '"' or '\'' ? c : null;
                result.Append(c == '\'' ? '"' : c);
            }
            else if (c == '\\' && i + 1 < raw.Length)
            {
                var next = raw[++i];
                result.Append(quote == '\'' && next == '\'' ? "'" : "\\" + next);
            }
            else if (c == quote)
            {
                quote = null;
                result.Append('"');
            }
            else
            {
                result.Append(quote == '\'' && c == '"' ? "\\\"" : c.ToString());
            }
        }

        return result.ToString();
    }

    /// <summary>Moves past the string opening at <paramref name="start"/>; returns where it ends (after the quote).</summary>
    private int SkipString(int start, char quote)
    {
        var i = start + 1;
        while (i < _text.Length && (_text[i] != quote || IsApostrophe(i)) && _text[i] != '\n')
        {
            i += _text[i] == '\\' ? 2 : 1;
        }

        if (i >= _text.Length || _text[i] != quote)
        {
            throw new FormatException($"the text starting {PlanProblemText.Short(_text[start..Math.Min(i, _text.Length)])} has no closing {quote}");
        }

        Position = i + 1;
        return Position;
    }

    /// <summary>Moves past the list or object opening at <paramref name="start"/>, line breaks and all.</summary>
    private int SkipBalanced(int start)
    {
        var depth = 0;
        var i = start;
        while (i < _text.Length)
        {
            var c = _text[i];
            if (c is '"' or '\'')
            {
                i = SkipString(i, c);
                continue;
            }

            depth += c is '[' or '{' ? 1 : c is ']' or '}' ? -1 : 0;
            i++;
            if (depth == 0)
            {
                Position = i;
                return i;
            }
        }

        throw new FormatException($"the value starting {PlanProblemText.Short(_text[start..])} is never closed");
    }

    private void SkipSpace()
    {
        while (Position < _text.Length && (_text[Position] is ' ' or '\t' or '\r' || (_depth > 0 && _text[Position] == '\n')))
        {
            Position++;
        }
    }

    private FormatException Expected(string what) => new($"expected {what}, found {Preview()}");
}
