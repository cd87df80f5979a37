using System.Collections.Immutable;

namespace Plansmith.Agent.Security;

/// <summary>
/// Replaces known secrets (API keys, passwords from URLs) with <c>[redacted]</c> in text that is
/// about to be stored, printed or handed on. Model output is untrusted: a model (or the server
/// behind it, which holds the key) may echo a key back, and it must not end up in a run record
/// or on a screen. Secrets shorter than <see cref="MinimumLength"/> characters are ignored, so
/// that a placeholder such as <c>no-key</c> does not blank out ordinary words.
/// </summary>
public sealed class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "[redacted]";

    /// <summary>Secrets shorter than this are not redacted.</summary>
    public const int MinimumLength = 8;

    private ImmutableArray<string> _secrets = [];

    /// <summary>Creates a redactor for <paramref name="secrets"/> (null and short values are skipped).</summary>
    public SecretRedactor(IEnumerable<string?>? secrets = null)
    {
        foreach (var secret in secrets ?? [])
        {
            Add(secret);
        }
    }

    /// <summary>A redactor that knows no secret.</summary>
    public static SecretRedactor None { get; } = new();

    /// <summary>Whether any secret is known.</summary>
    public bool IsEmpty => _secrets.IsEmpty;

    /// <summary>The longest known secret's length, 0 when there is none.</summary>
    internal int LongestSecret { get; private set; }

    /// <summary>Adds a secret (and its URL-encoded form when different). Null and short values are skipped.</summary>
    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < MinimumLength)
        {
            return;
        }

        ImmutableInterlocked.Update(ref _secrets, list =>
        {
            var escaped = Uri.EscapeDataString(secret);
            var updated = list.Contains(secret) ? list : list.Add(secret);
            updated = escaped != secret && !updated.Contains(escaped) ? updated.Add(escaped) : updated;

            // Longest first, so a secret that contains another is masked whole.
            return [.. updated.OrderByDescending(s => s.Length)];
        });
        LongestSecret = _secrets.IsEmpty ? 0 : _secrets[0].Length;
    }

    /// <summary>The text with every known secret replaced by <see cref="Mask"/>.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var secrets = _secrets;
        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>
    /// Redacts text that arrives in pieces (a streamed answer), where a secret may be split
    /// between two pieces: the end of each piece that could begin a secret is held back until the
    /// next piece (or <see cref="StreamRedaction.Flush"/>) shows whether it does.
    /// </summary>
    public StreamRedaction CreateStream() => new(this);

    internal IReadOnlyList<string> Secrets => _secrets;
}

/// <summary>Redaction of one stream of text pieces; see <see cref="SecretRedactor.CreateStream"/>.</summary>
public sealed class StreamRedaction
{
    private readonly SecretRedactor _redactor;
    private string _pending = string.Empty;

    internal StreamRedaction(SecretRedactor redactor)
    {
        _redactor = redactor;
    }

    /// <summary>Takes the next piece and returns the text that is now safe to pass on (may be empty).</summary>
    public string Push(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (_redactor.IsEmpty)
        {
            return piece;
        }

        var text = _redactor.Redact(_pending + piece);
        var keep = HeldBack(text);
        _pending = text[^keep..];
        return text[..^keep];
    }

    /// <summary>What is still held back, redacted; call once the stream has ended.</summary>
    public string Flush()
    {
        var rest = _redactor.Redact(_pending);
        _pending = string.Empty;
        return rest;
    }

    /// <summary>The length of the longest end of <paramref name="text"/> that is the start of a secret.</summary>
    private int HeldBack(string text)
    {
        var longest = 0;
        foreach (var secret in _redactor.Secrets)
        {
            for (var length = Math.Min(secret.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(secret.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
