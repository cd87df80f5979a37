using System.Globalization;
using System.Text;
using Plansmith.Sandbox;

// The JavaScript sandbox worker. Reads a script on standard input, runs it in Jint and writes one
// JSON object per line on standard output: {"o":text} for console.log, {"e":text} for
// console.error, then {"x":exitCode,"limit":name|null,"message":text}. The host treats a missing
// last line as a crash of this process (a stack overflow, say), which it expects and reports.
var settings = WorkerSettings.Parse(args);
using var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
var code = stdin.ReadToEnd();
using var output = new FrameWriter(Console.OpenStandardOutput(), settings.MaxOutputChars);

// A thread of its own for a known stack size: deep scripts hit Jint's limits or the OS, not a
// surprise. A stack overflow still ends this process; the host reports it as a crash.
var runner = new ScriptRunner(settings, output);
var thread = new Thread(() => runner.Run(code), settings.StackBytes) { Name = "script" };
thread.Start();
thread.Join();
output.Finish(runner.ExitCode, runner.Limit, runner.Message);
return 0;

namespace Plansmith.Sandbox
{
    internal sealed record WorkerSettings(TimeSpan Timeout, int MaxStatements, int MaxRecursion, int MaxOutputChars, int StackBytes, long MemoryMiB)
    {
        public static WorkerSettings Parse(string[] args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                values[args[i]] = args[i + 1];
            }

            int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            return new WorkerSettings(
                TimeSpan.FromMilliseconds(Int("--timeout-ms", 10_000)),
                Int("--max-statements", 50_000_000),
                Int("--max-recursion", 256),
                Int("--max-output", 64_000),
                Int("--stack-bytes", 8 << 20),
                Int("--memory-mib", 256));
        }
    }
}
