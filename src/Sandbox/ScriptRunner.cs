using System.Globalization;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace Plansmith.Sandbox;

/// <summary>
/// Runs one script in Jint: no CLR access, no file or network API. Jint's limits on time,
/// statements and recursion are a first line that gives precise messages; the authority on memory
/// is the GC heap limit of this process, and on time the host, which kills it.
/// </summary>
internal sealed class ScriptRunner
{
    private readonly WorkerSettings _settings;
    private readonly FrameWriter _output;

    public ScriptRunner(WorkerSettings settings, FrameWriter output)
    {
        _settings = settings;
        _output = output;
    }

    public int ExitCode { get; private set; }

    public string? Limit { get; private set; }

    public string? Message { get; private set; }

    public void Run(string code)
    {
        try
        {
            // No LimitMemory: Jint counts every byte this thread ever allocated, so a long loop that
            // keeps little alive would be stopped. The GC heap hard limit counts live memory instead.
            var engine = new Engine(options => options
                .TimeoutInterval(_settings.Timeout)
                .MaxStatements(_settings.MaxStatements)
                .LimitRecursion(_settings.MaxRecursion)
                .Strict(false));
            ClrFunction Writer(string name, bool error) => new(engine, name, (_, args) =>
            {
                _output.Write(error, string.Join(' ', args.Select(a => Format(engine, a))) + "\n");
                return JsValue.Undefined;
            });
            var console = new JsObject(engine);
            console.Set("log", Writer("log", false));
            console.Set("info", Writer("info", false));
            console.Set("error", Writer("error", true));
            console.Set("warn", Writer("warn", true));
            engine.SetValue("console", console);
            engine.SetValue("print", Writer("print", false));
            var completion = engine.Evaluate(code);
            if (_output.StdoutChars == 0 && !completion.IsUndefined())
            {
                // Like a REPL: the value of the last expression is the output when nothing was printed.
                _output.Write(false, Format(engine, completion));
            }
        }
        catch (TimeoutException)
        {
            Stop("Time", 124, $"Stopped: the script ran longer than {_settings.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.");
        }
        catch (StatementsCountOverflowException)
        {
            Stop("Statements", 124, $"Stopped: the script executed more than {_settings.MaxStatements} statements.");
        }
        catch (RecursionDepthOverflowException)
        {
            Stop("Recursion", 1, $"Stopped: the call stack went deeper than {_settings.MaxRecursion}.");
        }
        catch (InsufficientExecutionStackException)
        {
            Stop("Recursion", 1, "Stopped: the script nested values or calls too deeply for the sandbox's stack.");
        }
        catch (OutOfMemoryException)
        {
            Stop("Memory", 137, $"Stopped: the script used more than {_settings.MemoryMiB} MiB of memory.");
        }
        catch (JavaScriptException ex)
        {
            Stop(null, 1, $"{ex.Error}\n{ex.JavaScriptStackTrace}");
        }
        catch (JintException ex)
        {
            Stop(null, 1, ex.Message);
        }
        catch (Acornima.ParseErrorException ex)
        {
            Stop(null, 1, "SyntaxError: " + ex.Message);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException or OverflowException)
        {
            // A corner of an engine built-in that failed on odd input: the script's error, not ours.
            Stop(null, 1, $"Error: the JavaScript engine failed on this script ({ex.GetType().Name}: {ex.Message}).");
        }
    }

    private void Stop(string? limit, int exitCode, string message) => (Limit, ExitCode, Message) = (limit, exitCode, message);

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
