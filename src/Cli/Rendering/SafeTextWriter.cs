using System.Text;

namespace Plansmith.Cli.Rendering;

/// <summary>
/// A writer that passes everything through <see cref="TerminalText.Clean"/> before it reaches the
/// real standard output or error, so no command can print a raw escape sequence or a known key,
/// whatever it prints. Spectre's live view draws through its own console and cleans its text
/// where it builds it.
/// </summary>
internal sealed class SafeTextWriter : TextWriter
{
    private readonly TextWriter _inner;

    public SafeTextWriter(TextWriter inner)
    {
        _inner = inner;
    }

    public override Encoding Encoding => _inner.Encoding;

    public override IFormatProvider FormatProvider => _inner.FormatProvider;

    public override string NewLine
    {
        get => _inner.NewLine;
#pragma warning disable CS8765 // TextWriter.NewLine's setter accepts null; so does the inner writer's.
        set => _inner.NewLine = value;
#pragma warning restore CS8765
    }

    /// <summary>The writer a <see cref="SafeTextWriter"/> was made over, or the writer itself.</summary>
    public static TextWriter Unwrap(TextWriter writer) => writer is SafeTextWriter safe ? safe._inner : writer;

    /// <summary>Wraps <paramref name="writer"/> unless it is wrapped already.</summary>
    public static TextWriter Wrap(TextWriter writer) => writer is SafeTextWriter ? writer : new SafeTextWriter(writer);

    public override void Write(char value)
    {
        if (value == '\r' && NewLine.Contains('\r', StringComparison.Ordinal))
        {
            _inner.Write(value);
        }
        else if (!TerminalText.IsUnsafe(value))
        {
            _inner.Write(value);
        }
    }

    public override void Write(string? value) => _inner.Write(Clean(value));

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => _inner.WriteLine(Clean(value));

    public override void WriteLine() => _inner.WriteLine();

    public override Task WriteAsync(string? value) => _inner.WriteAsync(Clean(value));

    public override Task WriteAsync(char value) => IsShown(value) ? _inner.WriteAsync(value) : Task.CompletedTask;

    public override Task WriteLineAsync(string? value) => _inner.WriteLineAsync(Clean(value));

    public override Task WriteLineAsync() => _inner.WriteLineAsync();

    public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(Clean(new string(buffer.Span)).AsMemory(), cancellationToken);

    public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteLineAsync(Clean(new string(buffer.Span)).AsMemory(), cancellationToken);

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync() => _inner.FlushAsync();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    private static bool IsShown(char value) => !TerminalText.IsUnsafe(value);

    /// <summary>Cleans text; a Windows line ending written as text keeps its carriage return.</summary>
    private static string Clean(string? value) =>
        value is null ? string.Empty : TerminalText.Clean(value.Replace("\r\n", "\n", StringComparison.Ordinal));
}
