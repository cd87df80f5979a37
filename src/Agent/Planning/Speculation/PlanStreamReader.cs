using System.Text;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Reads a plan as the model writes it: fed the reply piece by piece, it hands back the text of
/// each step the moment it closes — a JSON object, or a string holding one step line — inside
/// <c>"steps": [ … ]</c> (or a bare top-level array). It only finds boundaries — strings and escapes respected — and never judges a step: the
/// lenient reader parses each one, and the whole reply is read again when it ends.
/// </summary>
internal sealed class PlanStreamReader
{
    private const string StepsKey = "steps";

    private readonly StringBuilder _text = new();
    private int _scanned;
    private int _depth;
    private bool _inString;
    private bool _escaped;
    private int _stringStart = -1;
    private string? _lastKey;
    private int _stepsDepth = -1;
    private int _stepStart = -1;
    private bool _started;

    /// <summary>The step objects that closed in <paramref name="piece"/>, as JSON text, in order.</summary>
    public IReadOnlyList<string> Feed(string piece)
    {
        _text.Append(piece);
        List<string>? closed = null;
        for (; _scanned < _text.Length; _scanned++)
        {
            var c = _text[_scanned];
            if (_inString)
            {
                if (_escaped)
                {
                    _escaped = false;
                }
                else if (c == '\\')
                {
                    _escaped = true;
                }
                else if (c == '"')
                {
                    _inString = false;
                    if (_depth == _stepsDepth)
                    {
                        // A step written as one line of text: the string is the step.
                        (closed ??= []).Add(_text.ToString(_stringStart, _scanned - _stringStart + 1));
                    }
                    else if (_depth == 1 || (_stepsDepth < 0 && _depth >= 1))
                    {
                        _lastKey = _text.ToString(_stringStart + 1, _scanned - _stringStart - 1);
                    }
                }

                continue;
            }

            switch (c)
            {
                case '"' when _started:
                    _inString = true;
                    _stringStart = _scanned;
                    break;
                case '{' or '[' when !_started:
                    // The first bracket opens the plan: an object holding "steps", or a bare array of steps.
                    _started = true;
                    _depth = 1;
                    if (c == '[')
                    {
                        _stepsDepth = 1;
                    }

                    break;
                case '[' when _stepsDepth < 0 && _depth == 1 && string.Equals(_lastKey, StepsKey, StringComparison.OrdinalIgnoreCase):
                    _depth++;
                    _stepsDepth = _depth;
                    break;
                case '{' or '[':
                    if (c == '{' && _depth == _stepsDepth)
                    {
                        _stepStart = _scanned;
                    }

                    _depth++;
                    break;
                case '}' or ']' when _started:
                    _depth--;
                    if (c == '}' && _depth == _stepsDepth && _stepStart >= 0)
                    {
                        (closed ??= []).Add(_text.ToString(_stepStart, _scanned - _stepStart + 1));
                        _stepStart = -1;
                    }

                    if (_depth < _stepsDepth)
                    {
                        // The steps array closed: nothing after it is a step.
                        _stepsDepth = int.MaxValue;
                    }

                    break;
            }
        }

        return closed ?? [];
    }
}
