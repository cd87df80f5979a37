using System.Diagnostics;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// JavaScript in Jint, in process: no CLR access, no file or network API, and limits on time,
/// memory, statements and recursion. <c>console.log</c> (and <c>print</c>) write to standard output.
/// </summary>
public sealed class JintSandbox : ICodeSandbox
{
    /// <inheritdoc />
    public string Language => "javascript";

    /// <inheritdoc />
    public string? Unavailable => null;

    /// <inheritdoc />
    public Task<CodeRunResult> RunAsync(string code, SandboxLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(limits);

        // Jint runs synchronously; a dedicated thread keeps a long script off the caller's thread
        // and makes the memory limit (counted per thread) count this script alone.
        return Task.Factory.StartNew(() => Run(code, limits, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private CodeRunResult Run(string code, SandboxLimits limits, CancellationToken cancellationToken)
    {
        var stdout = new BoundedText(limits.MaxOutputChars);
        var stderr = new BoundedText(limits.MaxOutputChars);
        var clock = Stopwatch.StartNew();
        SandboxLimit? limit = null;
        var exitCode = 0;
        try
        {
            var engine = new Engine(options => options
                .TimeoutInterval(limits.Timeout)
                .LimitMemory(limits.MemoryBytes)
                .MaxStatements(limits.MaxStatements)
                .LimitRecursion(limits.MaxRecursion)
                .CancellationToken(cancellationToken)
                .Strict(false));
            void Log(JsValue[] args, BoundedText target) => target.Append(string.Join(' ', args.Select(a => Format(engine, a))) + "\n");
            ClrFunction Writer(string name, BoundedText target) => new(engine, name, (_, args) =>
            {
                Log(args, target);
                return JsValue.Undefined;
            });
            var console = new JsObject(engine);
            console.Set("log", Writer("log", stdout));
            console.Set("info", Writer("info", stdout));
            console.Set("error", Writer("error", stderr));
            console.Set("warn", Writer("warn", stderr));
            engine.SetValue("console", console);
            engine.SetValue("print", Writer("print", stdout));
            var completion = engine.Evaluate(code);
            if (stdout.ToString().Length == 0 && !completion.IsUndefined())
            {
                // Like a REPL: the value of the last expression is the output when nothing was printed.
                stdout.Append(Format(engine, completion));
            }
        }
        catch (TimeoutException)
        {
            (limit, exitCode) = (SandboxLimit.Time, 124);
            stderr.Append($"Stopped: the script ran longer than {limits.Timeout.TotalSeconds:0.###} s.");
        }
        catch (MemoryLimitExceededException)
        {
            (limit, exitCode) = (SandboxLimit.Memory, 137);
            stderr.Append($"Stopped: the script allocated more than {limits.MemoryBytes / (1 << 20)} MiB.");
        }
        catch (StatementsCountOverflowException)
        {
            (limit, exitCode) = (SandboxLimit.Statements, 124);
            stderr.Append($"Stopped: the script executed more than {limits.MaxStatements} statements.");
        }
        catch (RecursionDepthOverflowException)
        {
            (limit, exitCode) = (SandboxLimit.Recursion, 1);
            stderr.Append($"Stopped: the call stack went deeper than {limits.MaxRecursion}.");
        }
        catch (ExecutionCanceledException)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (JavaScriptException ex)
        {
            exitCode = 1;
            stderr.Append($"{ex.Error}\n{ex.JavaScriptStackTrace}");
        }
        catch (JintException ex)
        {
            exitCode = 1;
            stderr.Append(ex.Message);
        }
        catch (Acornima.ParseErrorException ex)
        {
            exitCode = 1;
            stderr.Append("SyntaxError: " + ex.Message);
        }

        if (limit is null && (stdout.Truncated || stderr.Truncated))
        {
            limit = SandboxLimit.Output;
        }

        return new CodeRunResult(Language, stdout.ToString(), stderr.ToString(), exitCode, clock.Elapsed, limit);
    }

    private static string Format(Engine engine, JsValue value)
    {
        if (value is JsString || !value.IsObject() || value.AsObject() is Function)
        {
            return value.ToString();
        }

        try
        {
            var stringify = engine.GetValue("JSON").AsObject().Get("stringify");
            var text = engine.Invoke(stringify, value);
            return text.IsUndefined() ? value.ToString() : text.ToString();
        }
        catch (JavaScriptException)
        {
            return value.ToString();
        }
    }
}
