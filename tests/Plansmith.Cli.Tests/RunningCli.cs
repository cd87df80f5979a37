using System.Diagnostics;
using System.Text;

namespace Plansmith.Cli.Tests;

/// <summary>
/// The CLI as a process whose output the test reads while it runs (<see cref="CliProcess.RunAsync(string, string?, string[])"/>
/// reads it only at the end): to see that an answer arrives piece by piece, not all at the exit.
/// </summary>
public sealed class RunningCli : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private static readonly string[] SecretVariables = ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "PLANSMITH_ENDPOINT", "PLANSMITH_API_KEY", "PLANSMITH_MODEL", "BRAVE_API_KEY"];
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();
    private readonly Task _reading;
    private readonly Task<string> _error;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RunningCli(Process process)
    {
        _process = process;
        _error = process.StandardError.ReadToEndAsync();
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>Standard output so far.</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public static RunningCli Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliProcess.CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in SecretVariables)
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["XDG_DATA_HOME"] = Path.Combine(workingDirectory, ".data");
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return new RunningCli(process);
    }

    /// <summary>Waits until standard output holds <paramref name="text"/>; returns the output at that moment.</summary>
    public async Task<string> WaitForOutputAsync(string text)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_output.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return _output.ToString();
                }

                changed = _changed.Task;
            }

            if (_reading.IsCompleted)
            {
                Assert.Fail($"The CLI ended without printing '{text}'. Output:\n{Output}\nError:\n{await _error}");
            }

            await changed.WaitAsync(deadline.Token);
        }
    }

    /// <summary>Waits for the exit; the exit code, all of standard output and standard error.</summary>
    public async Task<(int Exit, string Out, string Err)> ExitAsync()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await _process.WaitForExitAsync(deadline.Token);
        await _reading;
        return (_process.ExitCode, Output, await _error);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new char[4096];
        int read;
        while ((read = await _process.StandardOutput.ReadAsync(buffer)) > 0)
        {
            lock (_lock)
            {
                _output.Append(buffer, 0, read);
                _changed.TrySetResult();
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        lock (_lock)
        {
            _changed.TrySetResult();
        }
    }
}
