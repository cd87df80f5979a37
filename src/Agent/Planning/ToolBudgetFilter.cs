using Microsoft.SemanticKernel;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Telemetry;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Enforces a model-performed step's tool-call budget and the run's model-call budget inside
/// Semantic Kernel's auto-invocation loop, whose own cap is 128 requests. It counts every request
/// the loop sends after the first (each batch of tool results goes back to the model in a new
/// request) and the tokens of each intermediate response, which SK does not report in the final
/// result. A tool that throws becomes an error result here, named and with its message, so that the
/// request carrying it back is counted and budgeted like any other and the step can tell that its
/// tools failed (<see cref="Failures"/>).
/// </summary>
internal sealed class ToolBudgetFilter : IAutoFunctionInvocationFilter
{
    private readonly int _maxToolCalls;
    private readonly RunMeter _meter;
    private readonly Lock _lock = new();
    private readonly List<string> _failures = [];
    private int _toolCalls;
    private int _succeeded;
    private int _lastCountedRequest = -1;
    private int _extraCalls;
    private long _input;
    private long _output;

    public ToolBudgetFilter(int maxToolCalls, RunMeter meter)
    {
        _maxToolCalls = maxToolCalls;
        _meter = meter;
    }

    /// <summary>Tool calls made so far.</summary>
    public int ToolCalls => Volatile.Read(ref _toolCalls);

    /// <summary>The requests and tokens of the tool-calling round trips (all but the first request's answer).</summary>
    public TokenUsage RoundTrips => new(Volatile.Read(ref _extraCalls), Interlocked.Read(ref _input), Interlocked.Read(ref _output));

    /// <summary>Tool calls that returned a result.</summary>
    public int Succeeded => Volatile.Read(ref _succeeded);

    /// <summary>The error result of each tool call that threw, as the model received it.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_lock)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>Why the loop was stopped, or null when it ended by itself.</summary>
    public string? StopReason { get; private set; }

    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (Interlocked.Exchange(ref _lastCountedRequest, context.RequestSequenceIndex) != context.RequestSequenceIndex)
        {
            // The response asking for these tools came from a request already counted; add its tokens once.
            var (input, output) = TokenUsage.Read(context.ChatMessageContent.Metadata);
            _meter.AddTokens(input, output);
            Interlocked.Add(ref _input, input);
            Interlocked.Add(ref _output, output);
        }

        if (Interlocked.Increment(ref _toolCalls) > _maxToolCalls)
        {
            StopReason = $"the step made {_maxToolCalls} tool calls, its limit, without finishing (PlansmithOptions.MaxToolCallsPerStep)";
            context.Terminate = true;
            return;
        }

        using (var span = PlansmithTelemetry.Start("execute_tool", $"{context.Function.PluginName}.{context.Function.Name}"))
        {
            span?.SetTag("gen_ai.tool.name", $"{context.Function.PluginName}.{context.Function.Name}");
            try
            {
                await next(context).ConfigureAwait(false);
                Interlocked.Increment(ref _succeeded);
            }
            catch (BudgetExceededException ex)
            {
                // A model call the tool made itself found the run's budget spent: stop the loop.
                StopReason = ex.Message;
                context.Terminate = true;
                Fail(context, ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
            {
                // Left to SK, the exception would skip the accounting below, yet the loop would
                // still send its message back to the model in a request nobody counted.
                PlansmithTelemetry.Fail(span, ex.GetType().Name);
                Fail(context, ex);
            }
        }

        if (context.FunctionSequenceIndex == context.FunctionCount - 1 && !context.Terminate)
        {
            // The tool results go back to the model in a new request: it must fit the run's budget.
            try
            {
                _meter.BeginCall();
                Interlocked.Increment(ref _extraCalls);
            }
            catch (BudgetExceededException ex)
            {
                StopReason = ex.Message;
                context.Terminate = true;
            }
        }
    }

    /// <summary>The error result the model sees for a tool that threw: the tool and its message, short and printable.</summary>
    internal static string ErrorResult(string tool, Exception exception)
    {
        var message = new string([.. PromptText.Short(exception.Message, 300).Select(c => char.IsControl(c) ? ' ' : c)]);
        return $"Error: the tool {tool} failed: {message}";
    }

    private void Fail(AutoFunctionInvocationContext context, Exception exception)
    {
        var error = ErrorResult($"{context.Function.PluginName}.{context.Function.Name}", exception);
        context.Result = new FunctionResult(context.Function, error);
        lock (_lock)
        {
            _failures.Add(error);
        }
    }
}
