using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Measures the model calls made within it (on this async flow): a step opens one to learn what it
/// spent, prompts that its tools called included. The run's own total is kept by its meter.
/// </summary>
internal sealed class UsageScope : IDisposable
{
    private static readonly AsyncLocal<UsageScope?> Ambient = new();
    private readonly UsageScope? _previous;
    private readonly Lock _lock = new();
    private TokenUsage _total;

    private UsageScope(UsageScope? previous)
    {
        _previous = previous;
    }

    /// <summary>The innermost scope measuring now, or null.</summary>
    public static UsageScope? Current => Ambient.Value;

    /// <summary>What the calls within the scope spent so far.</summary>
    public TokenUsage Total
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    /// <summary>Starts measuring on this async flow.</summary>
    public static UsageScope Begin()
    {
        var scope = new UsageScope(Ambient.Value);
        Ambient.Value = scope;
        return scope;
    }

    public void Add(TokenUsage usage)
    {
        lock (_lock)
        {
            _total = new TokenUsage(_total.ModelCalls + usage.ModelCalls, _total.InputTokens + usage.InputTokens, _total.OutputTokens + usage.OutputTokens);
        }
    }

    public void Dispose() => Ambient.Value = _previous;
}
