using System.Text;

namespace Plansmith.Cli.Rendering;

/// <summary>
/// Prints the answer as the model writes it, then makes sure what was printed is the run's final
/// answer: when the stream was cut off or the answer was asked for again, a note says so and the
/// final answer follows. The answer goes out in one piece, ending with a line break.
/// </summary>
internal sealed class AnswerStream
{
    private readonly TextWriter _output;
    private readonly TextWriter _notes;
    private readonly bool _blankLineFirst;
    private readonly StringBuilder _printed = new();

    // A key split between two pieces is still masked: each piece's end that could begin one waits for the next.
    private readonly Plansmith.Agent.Security.StreamRedaction _redaction = TerminalText.Secrets.CreateStream();

    /// <param name="output">Where the answer goes (standard output).</param>
    /// <param name="notes">Where a note about a replaced answer goes (standard error).</param>
    /// <param name="blankLineFirst">Whether a blank line separates the answer from the progress above it.</param>
    public AnswerStream(TextWriter output, TextWriter notes, bool blankLineFirst)
    {
        _output = output;
        _notes = notes;
        _blankLineFirst = blankLineFirst;
    }

    /// <summary>Whether any of the answer has been printed.</summary>
    public bool Started => _printed.Length > 0;

    public async Task WriteAsync(string piece)
    {
        if (piece.Length == 0)
        {
            return;
        }

        if (_printed.Length == 0 && _blankLineFirst)
        {
            await _output.WriteLineAsync();
        }

        _printed.Append(piece);
        await _output.WriteAsync(_redaction.Push(piece));
        await _output.FlushAsync();
    }

    /// <summary>Ends the answer: a line break after what was streamed, or the whole answer when nothing was (or something else was).</summary>
    public async Task FinishAsync(string answer)
    {
        if (_printed.Length == 0)
        {
            if (answer.Length > 0)
            {
                if (_blankLineFirst)
                {
                    await _output.WriteLineAsync();
                }

                await _output.WriteLineAsync(answer);
            }

            return;
        }

        await _output.WriteAsync(_redaction.Flush());
        var printed = _printed.ToString();
        if (!printed.EndsWith('\n'))
        {
            await _output.WriteLineAsync();
        }

        if (printed == answer)
        {
            return;
        }

        if (answer.Length == 0)
        {
            await _notes.WriteLineAsync("note: the answer above was cut off, and no complete answer came when it was asked for again.");
            return;
        }

        await _notes.WriteLineAsync("note: the answer above was cut off and asked for again; the complete answer follows.");
        await _output.WriteLineAsync();
        await _output.WriteLineAsync(answer);
    }
}
