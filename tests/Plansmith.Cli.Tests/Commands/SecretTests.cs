using System.Text;
using Microsoft.Data.Sqlite;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>An API key given to the CLI never shows up in its output, logs at any level, run records or reports.</summary>
public sealed class SecretTests : IDisposable
{
    private const string Key = "sk-plansmith-canary-7f3a9c1e";
    private static readonly Dictionary<string, string> KeyEnvironment = new() { ["PLANSMITH_API_KEY"] = Key };
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-secret-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ApiKey_NeverAppearsInOutputLogsStoreOrReports()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Think" }, new { id = "s2", description = "Fail", tool = "files.read", arguments = new { path = "missing.md" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            "plan_revise" => new ModelReply("not json"),
            _ => new ModelReply("ok"),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var store = Path.Combine(_work, "runs.db");
        string everything;
        {
            var (_, output, error) = await CliProcess.RunAsync(_work, null, KeyEnvironment, null, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--store", store, "--root", _work, "--verbose", "Think and fail");
            var runId = error.Split("· run ")[1].Trim();
            var reports = new StringBuilder();
            foreach (var format in new[] { "md", "html", "json" })
            {
                reports.Append((await CliProcess.RunAsync(_work, null, "runs", "report", runId, "--format", format, "--store", store)).Out);
            }

            SqliteConnection.ClearAllPools();
            var storeBytes = string.Concat(Directory.EnumerateFiles(_work, "runs.db*").Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
            everything = output + error + reports + storeBytes;
            Assert.Contains("Think and fail", storeBytes, StringComparison.Ordinal);
            Assert.Contains("dbug:", error, StringComparison.Ordinal);
        }

        Assert.All(model.Requests, r => Assert.Equal("Bearer " + Key, r.Authorization));
        Assert.DoesNotContain(Key, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Key[..12], everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKey_NeverAppearsOnAnyProcessCommandLineDuringARun()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Compute", tool = "analyze.run_code", arguments = new { language = "python", code = "import time\ntime.sleep(1.5)\nprint(42)" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            _ => new ModelReply("42"),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var seen = new List<string>();
        var processes = 0;
        {
            var (exit, _, error) = await CliProcess.RunAsync(_work, null, KeyEnvironment, async _ =>
            {
                // Look at every process's command line while the run (and its sandbox) is alive.
                for (var i = 0; i < 60; i++)
                {
                    foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])))
                    {
                        try
                        {
                            var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                            processes++;
                            if (cmdline.Contains(Key, StringComparison.Ordinal))
                            {
                                seen.Add(cmdline.Replace('\0', ' '));
                            }
                        }
                        catch (IOException)
                        {
                        }
                        catch (UnauthorizedAccessException)
                        {
                        }
                    }

                    await Task.Delay(50);
                }
            }, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--no-store", "--root", _work, "Compute");
            Assert.True(exit == 0, error);
        }

        Assert.True(processes > 0);
        Assert.Empty(seen);
        Assert.Contains(model.Requests, r => r.Authorization == "Bearer " + Key);
    }
}
