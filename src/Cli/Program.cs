using System.Runtime.InteropServices;
using Plansmith.Cli;
using Plansmith.Cli.Rendering;

// The first Ctrl+C (SIGINT) or SIGTERM cancels the run cleanly (running steps are cancelled,
// partial results kept; exit code 130, or 143 after SIGTERM); a second Ctrl+C ends the process at once.
// A command blocked where cancellation does not reach (opening a FIFO no one writes to, say) is
// ended by a watchdog 10 s after the first signal, so a signal always ends the process.
using var cancel = new CancellationTokenSource();
var terminated = false;
void StartWatchdog(int exitCode) => _ = Task.Run(async () =>
{
    await Task.Delay(TimeSpan.FromSeconds(10));
    Console.Error.WriteLine("Stopped: the command did not finish within 10 s of the signal.");
    Environment.Exit(exitCode);
});
Console.CancelKeyPress += (_, e) =>
{
    if (!cancel.IsCancellationRequested)
    {
        e.Cancel = true;
        Console.Error.WriteLine("Cancelling… (Ctrl+C again to stop at once)");
        StartWatchdog(CliApp.Cancelled);
        cancel.Cancel();
    }
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    if (!cancel.IsCancellationRequested)
    {
        terminated = true;
        Console.Error.WriteLine("Terminating: cancelling…");
        StartWatchdog(CliApp.Terminated);
        cancel.Cancel();
    }
});

// Logs and anything else written to standard error pass the same cleaning as command output.
Console.SetError(SafeTextWriter.Wrap(Console.Error));

var exit = await CliApp.RunAsync(args, Console.Out, Console.Error, Console.In, cancel.Token);
return terminated && exit == CliApp.Cancelled ? CliApp.Terminated : exit;
