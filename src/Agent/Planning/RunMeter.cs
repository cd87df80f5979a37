using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Counts one run's model calls and tokens and enforces its budget. Thread-safe: parallel steps
/// share it. When a limit is reached it cancels <see cref="Exhausted"/>, which stops new steps.
/// </summary>
internal sealed class RunMeter : IDisposable
{
    private readonly RunBudget _budget;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly CancellationTokenSource _exhausted = new();
    private readonly Lock _lock = new();
    private int _calls;
    private long _input;
    private long _output;
    private string? _reason;

    public RunMeter(RunBudget budget, TimeProvider time)
    {
        _budget = budget;
        _time = time;
        _start = time.GetTimestamp();
    }

    /// <summary>Cancelled once a limit is reached.</summary>
    public CancellationToken Exhausted => _exhausted.Token;

    /// <summary>Which limit was reached and how, or null.</summary>
    public string? ExhaustedReason
    {
        get
        {
            lock (_lock)
            {
                return _reason;
            }
        }
    }

    public TokenUsage Usage
    {
        get
        {
            lock (_lock)
            {
                return new TokenUsage(_calls, _input, _output);
            }
        }
    }

    /// <summary>Counts a model call about to be made; throws if a limit forbids it, unless <paramref name="always"/>.</summary>
    public void BeginCall(bool always = false)
    {
        (string Limit, string Message)? failure;
        lock (_lock)
        {
            failure = always ? null : Check();
            if (failure is null)
            {
                _calls++;
            }
        }

        if (failure is { } f)
        {
            SignalExhausted();
            throw new BudgetExceededException(f.Limit, f.Message);
        }
    }

    /// <summary>Adds a response's reported tokens.</summary>
    public void AddTokens(long input, long output)
    {
        lock (_lock)
        {
            _input += input;
            _output += output;
        }
    }

    /// <summary>Whether another call may be made now.</summary>
    public bool CanCall()
    {
        bool ok;
        lock (_lock)
        {
            ok = Check() is null;
        }

        if (!ok)
        {
            SignalExhausted();
        }

        return ok;
    }

    public void Dispose() => _exhausted.Dispose();

    // Cancelled outside the lock: cancellation callbacks run synchronously.
    private void SignalExhausted()
    {
        if (!_exhausted.IsCancellationRequested)
        {
            _exhausted.Cancel();
        }
    }

    private (string Limit, string Message)? Check()
    {
        (string, string)? failure = null;
        if (_calls >= _budget.MaxModelCalls)
        {
            failure = ("MaxModelCalls", $"the run reached its limit of {_budget.MaxModelCalls} model calls");
        }
        else if (_input + _output >= _budget.MaxTokens)
        {
            failure = ("MaxTokens", $"the run reached its limit of {_budget.MaxTokens} tokens ({_input + _output} used)");
        }
        else if (_time.GetElapsedTime(_start) >= _budget.MaxDuration)
        {
            failure = ("MaxDuration", $"the run reached its time limit of {_budget.MaxDuration}");
        }

        if (failure is { } f && _reason is null)
        {
            _reason = f.Item2;
        }

        return failure;
    }
}
