using System.Text;
using Plansmith.Agent.Security;

namespace Plansmith.Cli.Rendering;

/// <summary>
/// Makes untrusted text (tool output, documents, model output, error messages that quote them)
/// safe to show: control characters that a terminal would act on — escape sequences that set the
/// window title, clear the screen or move the cursor, a carriage return that overwrites a line,
/// bidirectional overrides that reorder what is read — are dropped, and known secrets masked.
/// Line feeds and tabs stay.
/// </summary>
internal static class TerminalText
{
    /// <summary>The secrets masked in everything the console app prints (the keys it was given).</summary>
    public static SecretRedactor Secrets { get; } = new();

    /// <summary>The text without terminal control characters and with known secrets masked.</summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var redacted = Secrets.Redact(text);
        var index = IndexOfUnsafe(redacted);
        if (index < 0)
        {
            return redacted;
        }

        var builder = new StringBuilder(redacted.Length);
        builder.Append(redacted, 0, index);
        for (var i = index; i < redacted.Length; i++)
        {
            var c = redacted[i];
            if (!IsUnsafe(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Whether a terminal would act on <paramref name="c"/> rather than show it.</summary>
    public static bool IsUnsafe(char c) => c switch
    {
        '\n' or '\t' => false,
        < ' ' => true, // C0 controls: ESC, BEL, CR, backspace…
        >= '\u007f' and <= '\u009f' => true, // DEL and C1 controls (0x9b is a one-byte CSI)
        >= '\u202a' and <= '\u202e' => true, // bidirectional embeddings and overrides
        >= '\u2066' and <= '\u2069' => true, // bidirectional isolates
        '\u200e' or '\u200f' or '\u061c' => true, // direction marks
        _ => false,
    };

    private static int IndexOfUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
