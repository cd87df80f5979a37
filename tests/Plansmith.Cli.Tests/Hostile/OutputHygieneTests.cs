using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Hostile;

/// <summary>
/// Keys and untrusted text as an attacker would use them: credentials written into the endpoint
/// URL, a model (or the server behind it) that echoes the key, tool output and model output full
/// of terminal escape sequences, tracing on standard output, Ctrl+C during invoke.
/// </summary>
public sealed class OutputHygieneTests : IDisposable
{
    private const string Key = "sk-hostile-canary-5b1d7e20c4";
    private const string Escapes = "\u001b]0;pwned-title\u0007\u001b[2J\u001b[31mred\rOVERWRITE\u009b1;1H\u202egnp.exe\u0008\u0000";
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-hygiene-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Run_ModelEchoesTheKeyEverywhere_KeyNeverPrintedStoredOrReported()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Repeat the secret " + Key }, new { id = "s2", description = "Summarise", dependencies = new[] { "s1" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = new[] { "the key is " + Key } }),
            "step_execute" => new ModelReply("Here it is: " + Key + " and again " + Key),
            _ => new ModelReply("The answer holds " + Key + " split " + Key[..10] + " … " + Key),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var store = Path.Combine(_work, "runs.db");
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, Env(), null, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--store", store, "--root", _work, "--verbose", "Echo things");
        Assert.True(exit == 0, error);
        Assert.Contains(SecretMask, output + error, StringComparison.Ordinal);
        var everything = output + error + await ReportsAsync(error, store) + StoreBytes();
        Assert.DoesNotContain(Key, everything, StringComparison.Ordinal);
        Assert.Contains(model.Requests, r => r.Authorization == "Bearer " + Key);
    }

    [Fact]
    public async Task Run_JsonOutput_ModelEchoedKeyIsMasked()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = false, answer = "direct " + Key }),
            _ => new ModelReply("direct " + Key),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, Env(), null, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--no-store", "--json", "hi");
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.DoesNotContain(Key, output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user:{0}")]
    [InlineData("{0}")]
    [InlineData("user:{0}x%40y")]
    public async Task Run_CredentialsInTheEndpoint_AreUsedAsTheKeyButNeverShownOrStored(string userInfo)
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = false, answer = "fine" }),
            _ => new ModelReply("fine"),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var info = string.Format(CultureInfo.InvariantCulture, userInfo, Key);
        var endpoint = server.BaseAddress.ToString().Replace("http://", $"http://{info}@", StringComparison.Ordinal);
        var store = Path.Combine(_work, "runs.db");
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, new Dictionary<string, string>(), null, "run", "--endpoint", endpoint, "--model", "m", "--store", store, "--verbose", "hi");
        Assert.True(exit == 0, error);
        Assert.Contains("held credentials", error, StringComparison.Ordinal);
        var everything = output + error + await ReportsAsync(error, store) + StoreBytes();
        Assert.DoesNotContain(Key, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(info, everything, StringComparison.Ordinal);
        var sent = Uri.UnescapeDataString(info.Contains(':', StringComparison.Ordinal) ? info[(info.IndexOf(':', StringComparison.Ordinal) + 1)..] : info);
        Assert.All(model.Requests, r => Assert.Equal("Bearer " + sent, r.Authorization));
        Assert.All(model.Requests, r => Assert.DoesNotContain(Key, r.Path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_BadEndpointWithCredentials_ErrorDoesNotEchoThem()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "run", "--endpoint", $"ftp://user:{Key}@example.invalid/v1", "--model", "m", "hi");
        Assert.Equal(2, exit);
        Assert.DoesNotContain(Key, output + error, StringComparison.Ordinal);
        Assert.Contains("not an http(s) URL", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_FileFullOfEscapeSequences_PrintsNoControlCharacters()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "evil.txt"), "before " + Escapes + " after");
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "invoke", "files.read", "--arg", "path=evil.txt", "--root", _work);
        Assert.True(exit == 0, error);
        Assert.Contains("before", output, StringComparison.Ordinal);
        Assert.Contains("pwned-title", output, StringComparison.Ordinal);
        Assert.Contains("after", output, StringComparison.Ordinal);
        AssertNoControlCharacters(output);
        AssertNoControlCharacters(error);
    }

    [Fact]
    public async Task Run_ToolAndModelOutputWithEscapes_ProgressAnswerAndErrorsAreClean()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "evil.txt"), Escapes);
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    new { id = "s1", description = "Read " + Escapes, tool = "files.read", arguments = new { path = "evil.txt" } },
                    new { id = "s2", description = "Missing " + Escapes, tool = "files.read", arguments = new { path = "missing" + Escapes } },
                },
            }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            "plan_revise" => new ModelReply("no"),
            _ => new ModelReply("Answer " + Escapes),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var (_, output, error) = await CliProcess.RunAsync(_work, null, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--no-store", "--root", _work, "--verbose", "Read evil");
        Assert.Contains("pwned-title", output + error, StringComparison.Ordinal);
        AssertNoControlCharacters(output);
        AssertNoControlCharacters(error);
    }

    [Fact]
    public async Task Run_TraceConsoleWithJson_StandardOutputIsOnlyJson()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--no-store", "--trace", "console", "--json", "--root", _work, "Compare apples and pears");
        Assert.True(exit is 0 or 1, error);
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.TryGetProperty("status", out _));
        Assert.Contains("trace ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_CtrlCWhileCodeRuns_ExitsWith130()
    {
        var (exit, _, error) = await CliProcess.RunAsync(
            _work,
            null,
            new Dictionary<string, string>(),
            async pid =>
            {
                // Wait until the sandboxed program runs (a child process exists), then interrupt.
                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < TimeSpan.FromSeconds(30) && !HasDescendant(pid))
                {
                    await Task.Delay(50);
                }

                using var kill = Process.Start("kill", ["-INT", pid.ToString(CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
            },
            "invoke", "analyze.run_code", "--arg", "language=python", "--arg", "code=import time\ntime.sleep(60)", "--root", _work);
        Assert.True(exit == 130, $"exit {exit}: {error}");
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    private const string SecretMask = "[redacted]";

    private static Dictionary<string, string> Env() => new() { ["PLANSMITH_API_KEY"] = Key };

    private static void AssertNoControlCharacters(string text)
    {
        var bad = text.Where(c => c is not ('\n' or '\t') && (char.IsControl(c) || c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069')).ToList();
        Assert.True(bad.Count == 0, "control characters: " + string.Join(" ", bad.Select(c => ((int)c).ToString("x4", CultureInfo.InvariantCulture))));
    }

    private static bool HasDescendant(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var id))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[id] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }

        foreach (var (id, _) in parents)
        {
            // A grandchild or deeper: the sandbox under the CLI (not the CLI's own helpers).
            var depth = 0;
            for (var p = id; parents.TryGetValue(p, out var parent) && depth < 16; p = parent, depth++)
            {
                if (parent == pid && depth >= 1)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private async Task<string> ReportsAsync(string error, string store)
    {
        var marker = "· run ";
        var at = error.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return string.Empty;
        }

        var runId = error[(at + marker.Length)..].Trim().Split(' ', '\n')[0];
        var reports = new StringBuilder();
        foreach (var format in new[] { "md", "html", "json" })
        {
            var (exit, output, err) = await CliProcess.RunAsync(_work, null, "runs", "report", runId, "--format", format, "--store", store);
            Assert.True(exit == 0, err);
            reports.Append(output);
        }

        return reports.ToString();
    }

    private string StoreBytes()
    {
        SqliteConnection.ClearAllPools();
        return string.Concat(Directory.EnumerateFiles(_work, "runs.db*").Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
    }
}
