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
