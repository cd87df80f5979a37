using System.Text;

namespace Plansmith.Plugins.Analyze;

/// <summary>Collects output up to a limit and remembers whether more was dropped. Thread-safe.</summary>
internal sealed class BoundedText
{
    private readonly StringBuilder _text = new();
    private readonly int _limit;
    private readonly Lock _lock = new();

    public BoundedText(int limit)
    {
        _limit = limit;
    }

    public bool Truncated { get; private set; }

    public void Append(string? text)
    {
        if (text is null)
        {
            return;
        }

        lock (_lock)
        {
            var room = _limit - _text.Length;
            if (text.Length <= room)
            {
                _text.Append(text);
            }
            else
            {
                _text.Append(text.AsSpan(0, Math.Max(0, room)));
                Truncated = true;
            }
        }
    }

    /// <summary>Records that text was dropped before it got here (by the JavaScript worker, at the same limit).</summary>
    public void MarkTruncated()
    {
        lock (_lock)
        {
            Truncated = true;
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return Truncated ? _text + "\n[… output cut at the sandbox's limit]" : _text.ToString();
        }
    }
}
