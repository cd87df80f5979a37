using Microsoft.SemanticKernel;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Counts the model calls that plugins make while a step runs (a tool that itself invokes one of
/// Plansmith's prompts, such as analyze or compare): they are checked against the run's budget
/// before they start and their tokens are added to the run's and the step's usage.
/// </summary>
internal sealed class NestedModelCallFilter : IFunctionInvocationFilter
{
    private readonly RunMeter _meter;
    private readonly PromptLibrary _prompts;
    private readonly KernelFunction _own;
    private readonly bool _charge;
    private int _calls;
    private long _input;
    private long _output;

    /// <param name="meter">The run's meter.</param>
    /// <param name="prompts">The prompt library whose functions count as model calls.</param>
    /// <param name="own">The step's own prompt call, counted by the gateway already.</param>
    /// <param name="charge">
    /// Whether to check the budget and add to the run's meter (the run-wide filter), or only to
    /// tally for one step's usage (a step's own filter, beside the run-wide one).
    /// </param>
    public NestedModelCallFilter(RunMeter meter, PromptLibrary prompts, KernelFunction own, bool charge)
    {
        _meter = meter;
        _prompts = prompts;
        _own = own;
        _charge = charge;
    }

    public TokenUsage Usage => new(Volatile.Read(ref _calls), Interlocked.Read(ref _input), Interlocked.Read(ref _output));

    public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var counted = !ReferenceEquals(context.Function, _own) && _prompts.Owns(context.Function);
        if (counted)
        {
            if (_charge)
            {
                _meter.BeginCall();
            }

            Interlocked.Increment(ref _calls);
        }

        await next(context).ConfigureAwait(false);
        if (counted)
        {
            var (input, output) = TokenUsage.Read(context.Result.Metadata);
            if (_charge)
            {
                _meter.AddTokens(input, output);
            }

            Interlocked.Add(ref _input, input);
            Interlocked.Add(ref _output, output);
        }
    }
}
