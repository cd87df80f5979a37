using System.Diagnostics;

namespace Plansmith.Cli.Tests;

/// <summary>Runs the built plansmith CLI as a separate process, as a person or a script would.</summary>
public static class CliProcess
{
    private static readonly string[] SecretVariables = ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "PLANSMITH_ENDPOINT", "PLANSMITH_API_KEY", "PLANSMITH_MODEL", "BRAVE_API_KEY"];

    /// <summary>
    /// The CLI as copied into this test project's output (with its deps.json, runtimeconfig and
    /// dependencies). Not src/Cli/bin: 'dotnet test' on the solution may rebuild the CLI there while
    /// these tests run.
    /// </summary>
    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "plansmith.dll");

    public static Task<(int Exit, string Out, string Err)> RunAsync(string workingDirectory, string? stdin, params string[] args) =>
        RunAsync(workingDirectory, stdin, null, null, args);

    /// <summary>
    /// Starts the CLI with extra environment variables for this child only, optionally under a
    /// command prefix (<c>setpriv --reuid=…</c> to run it as another user); the caller waits for it.
    /// </summary>
    public static CliChild Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, IReadOnlyList<string>? prefix, params string[] args)
    {
        var start = new ProcessStartInfo(prefix is { Count: > 0 } ? prefix[0] : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var part in prefix?.Skip(1).Append("dotnet") ?? [])
        {
            start.ArgumentList.Add(part);
        }

        start.ArgumentList.Add(CliPath);
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
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new CliChild(Process.Start(start)!);
    }

    /// <summary>Runs the CLI; <paramref name="whileRunning"/> gets the process id and may act on it (send a signal).</summary>
    public static Task<(int Exit, string Out, string Err)> RunAsync(string workingDirectory, string? stdin, Func<int, Task>? whileRunning, params string[] args) =>
        RunAsync(workingDirectory, stdin, null, whileRunning, args);

    /// <summary>
    /// Runs the CLI with extra environment variables for the child alone (a key, say): tests never
    /// change this process's environment, which parallel tests share.
    /// </summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string workingDirectory, string? stdin, IReadOnlyDictionary<string, string>? environment, Func<int, Task>? whileRunning, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in SecretVariables)
        {
            start.Environment.Remove(name);
        }

        // A test may hand the CLI a key through the environment, as a user should.
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.Environment["DOTNET_NOLOGO"] = "1";

        // The default run store lives under the data folder: keep each test's runs in its own.
        start.Environment["XDG_DATA_HOME"] = Path.Combine(workingDirectory, ".data");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        if (whileRunning is not null)
        {
            await whileRunning(process.Id);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}

/// <summary>A running CLI child: its standard streams are drained as it runs.</summary>
public sealed class CliChild : IDisposable
{
    private readonly Task<string> _out;
    private readonly Task<string> _err;

    public CliChild(Process process)
    {
        Process = process;
        _out = process.StandardOutput.ReadToEndAsync();
        _err = process.StandardError.ReadToEndAsync();
    }

    public Process Process { get; }

    public int Id => Process.Id;

    /// <summary>Writes <paramref name="stdin"/> (if any) and closes standard input.</summary>
    public async Task InputAsync(string? stdin)
    {
        if (stdin is not null)
        {
            await Process.StandardInput.WriteAsync(stdin);
        }

        Process.StandardInput.Close();
    }

    public async Task<(int Exit, string Out, string Err)> WaitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await Process.WaitForExitAsync(timeout.Token);
        return (Process.ExitCode, await _out, await _err);
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }
}
