using System.Diagnostics;
using System.Text;

namespace Plansmith.Cli.Tests.Terminal;

/// <summary>
/// The CLI in a real terminal: a detached tmux session on its own server socket, with a pty of a
/// fixed size. The test reads the screen with capture-pane and types with send-keys, as a person
/// would; every screen it reads is kept as a text file under the test output folder.
/// </summary>
public sealed class TmuxSession : IAsyncDisposable
{
    private const string Session = "plansmith";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static readonly string[] SecretVariables = ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "PLANSMITH_ENDPOINT", "PLANSMITH_API_KEY", "PLANSMITH_MODEL", "BRAVE_API_KEY"];
    private readonly string _socket = "plansmith-test-" + Guid.NewGuid().ToString("N");
    private readonly string _workingDirectory;
    private readonly string _captures;
    private int _captured;

    private TmuxSession(string workingDirectory, string name)
    {
        _workingDirectory = workingDirectory;
        _captures = Path.Combine(AppContext.BaseDirectory, "terminal-captures", name);
        Directory.CreateDirectory(_captures);
        foreach (var old in Directory.EnumerateFiles(_captures, "*.txt"))
        {
            File.Delete(old);
        }
    }

    /// <summary>Where the captured screens of this session are kept.</summary>
    public string CapturesFolder => _captures;

    /// <summary>Starts <c>plansmith ARGS</c> in a 160×50 terminal; the pane stays open after it exits, with its exit code.</summary>
    public static async Task<TmuxSession> StartAsync(string workingDirectory, string name, params string[] args)
    {
        var session = new TmuxSession(workingDirectory, name);
        var command = string.Join(' ', new[] { "dotnet", CliProcess.CliPath }.Concat(args).Select(Quote));

        // The pane stays after the CLI exits, so the last screen can still be read.
        var (exit, _, error) = await session.TmuxAsync("new-session", "-d", "-s", Session, "-x", "160", "-y", "50", $"{command}; echo \"[plansmith exited $?]\"; sleep 600");
        Assert.True(exit == 0, "tmux new-session failed (is tmux installed? apt-get install tmux): " + error);
        return session;
    }

    /// <summary>The visible screen, or with <paramref name="history"/> everything since the start (wrapped lines joined).</summary>
    public async Task<string> CaptureAsync(bool history = false)
    {
        var (_, output, _) = history
            ? await TmuxAsync("capture-pane", "-p", "-J", "-S", "-", "-t", Session)
            : await TmuxAsync("capture-pane", "-p", "-t", Session);
        return output.TrimEnd('\n') + "\n";
    }

    /// <summary>Reads the screen until <paramref name="done"/> holds, and keeps that screen as <paramref name="label"/>.txt.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> done, string label, bool history = false)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var screen = await CaptureAsync(history);
            if (done(screen))
            {
                await KeepAsync(label, screen);
                return screen;
            }

            if (clock.Elapsed > Deadline)
            {
                await KeepAsync(label + "-timed-out", screen);
                Assert.Fail($"The terminal did not show '{label}' within {Deadline.TotalSeconds} s. The screen:\n{screen}");
            }

            // Polling a screen has no event to wait on; a short pause between reads keeps it cheap.
            await Task.Delay(100);
        }
    }

    /// <summary>Types <paramref name="text"/> (literally) and Enter.</summary>
    public async Task TypeLineAsync(string text)
    {
        await TmuxAsync("send-keys", "-t", Session, "-l", text);
        await TmuxAsync("send-keys", "-t", Session, "Enter");
    }

    public async ValueTask DisposeAsync()
    {
        var (_, socket, _) = await TmuxAsync("display-message", "-p", "#{socket_path}");
        await TmuxAsync("kill-server");

        // tmux leaves the socket file of a killed server behind.
        if (socket.Trim() is { Length: > 0 } path && File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private async Task KeepAsync(string label, string screen) =>
        await File.WriteAllTextAsync(Path.Combine(_captures, $"{++_captured:00}-{label}.txt"), screen, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    private async Task<(int Exit, string Out, string Err)> TmuxAsync(params string[] args)
    {
        var start = new ProcessStartInfo("tmux")
        {
            WorkingDirectory = _workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);

        // The server starts with the first command and passes its environment to the pane: no keys, no logo, a store of its own.
        foreach (var name in SecretVariables)
        {
            start.Environment.Remove(name);
        }

        start.Environment.Remove("TMUX");
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["XDG_DATA_HOME"] = Path.Combine(_workingDirectory, ".data");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
