using System.Runtime.InteropServices;
using Plansmith.Cli;
using Plansmith.Cli.Rendering;

// The first Ctrl+C (SIGINT) or SIGTERM cancels the run cleanly (running steps are cancelled,
// partial results kept; exit code 130, or 143 after SIGTERM); a second Ctrl+C ends the process at once.
using var cancel = new CancellationTokenSource();
var terminated = false;
Console.CancelKeyPress += (_, e) =>
{
    if (!cancel.IsCancellationRequested)
    {
        e.Cancel = true;
        Console.Error.WriteLine("Cancelling… (Ctrl+C again to stop at once)");
        cancel.Cancel();
    }
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    if (!cancel.IsCancellationRequested)
    {
        terminated = true;
        Console.Error.WriteLine("Terminating: cancelling the run and keeping its results…");
        cancel.Cancel();
    }
});

// Logs and anything else written to standard error pass the same cleaning as command output.
Console.SetError(SafeTextWriter.Wrap(Console.Error));

var exit = await CliApp.RunAsync(args, Console.Out, Console.Error, Console.In, cancel.Token);
return terminated && exit == CliApp.Cancelled ? CliApp.Terminated : exit;
