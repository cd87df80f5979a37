using Plansmith.Cli;
using Plansmith.Cli.Rendering;

// The first Ctrl+C cancels the run cleanly (running steps are cancelled, partial results kept,
// exit code 130); a second one ends the process at once.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!cancel.IsCancellationRequested)
    {
        e.Cancel = true;
        Console.Error.WriteLine("Cancelling… (Ctrl+C again to stop at once)");
        cancel.Cancel();
    }
};

// Logs and anything else written to standard error pass the same cleaning as command output.
Console.SetError(SafeTextWriter.Wrap(Console.Error));

return await CliApp.RunAsync(args, Console.Out, Console.Error, Console.In, cancel.Token);
