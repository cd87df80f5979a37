using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>The HTML report of a real run with a replan and a subgoal, rendered by headless Chromium.</summary>
public sealed class RunReportRenderingTests : IDisposable
{
    private const string Answer =
        "## Apples and pears\n\nPears are sweeter.\n\n<script>document.title='pwned'</script>\n\n<img src=x onerror=\"document.title='pwned'\">\n\n"
        + "See [the notes](javascript:alert(1)).\n\n| fruit | sweetness |\n|---|---|\n| apple | 3 |\n| pear | 4 |\n\n```\nprint('<b>pear</b>')\n```\n";

    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-report-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task HtmlReport_RunWithReplanAndSubgoal_RendersEveryVersionChildPlanAndInertAnswer()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    new { id = "s1", description = "List what is known" },
                    new { id = "s2", description = "Read the fruit notes", tool = "files.read", arguments = new { path = "missing.md" }, dependencies = new[] { "s1" } },
                    new { id = "s3", description = "Summarise the notes", dependencies = new[] { "s2" } },
                },
            }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            "plan_revise" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    new { id = "r1", description = "Compare apples and pears in depth", kind = "subgoal", dependencies = new[] { "s1" } },
                    new { id = "r2", description = "Write the comparison", dependencies = new[] { "r1" } },
                },
            }),
            "plan_decompose" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    new { id = "c1", description = "Taste an apple" },
                    new { id = "c2", description = "Taste a pear" },
                    new { id = "c3", description = "Compare the tastes", dependencies = new[] { "c1", "c2" } },
                },
            }),
            "synthesize" => new ModelReply(Answer),
            _ => new ModelReply("done"),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var store = Path.Combine(_work, "runs.db");
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--store", store, "--root", _work, "Compare apples and pears");
        Assert.True(exit == 0, error);
        var runId = error.Split("· run ")[1].Trim().Split(' ', '\n')[0];
        var html = Path.Combine(_work, "report.html");
        var (reportExit, _, reportError) = await CliProcess.RunAsync(_work, null, "runs", "report", runId, "--format", "html", "--output", html, "--store", store);
        Assert.True(reportExit == 0, reportError);

        var screenshot = Path.Combine(AppContext.BaseDirectory, "report-screenshot.png");
        File.Delete(screenshot);
        await ChromiumAsync("--screenshot=" + screenshot, "--window-size=1280,2000", new Uri(html).AbsoluteUri);
        var dom = await ChromiumAsync("--dump-dom", new Uri(html).AbsoluteUri);

        Assert.True(File.Exists(screenshot), "no screenshot");
        Assert.True(new FileInfo(screenshot).Length > 30_000, $"the screenshot is only {new FileInfo(screenshot).Length} bytes");

        // The answer is HTML, laid out by the browser; what it tried to inject is text.
        var answer = Regex.Match(dom, "<div class=\"answer\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("<h2>Apples and pears</h2>", answer, StringComparison.Ordinal);
        Assert.Contains("<td>pear</td>", answer, StringComparison.Ordinal);
        Assert.Contains("<code>print('&lt;b&gt;pear&lt;/b&gt;')", answer, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", answer, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(dom, "<script"));
        Assert.DoesNotContain("pwned", Regex.Match(dom, "<title>(.*?)</title>").Groups[1].Value, StringComparison.Ordinal);

        // Both plan versions are drawn: v1's failed and skipped steps, v2's steps, and the child plan under r1.
        Assert.Contains("class=\"node failed replaced\"><title>s2: Read the fruit notes", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"node skipped replaced\"><title>s3: Summarise the notes", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"node completed\"><title>r1: Compare apples and pears in depth", dom, StringComparison.Ordinal);
        Assert.Contains("<h4>Child plan of r1 (depth 1)</h4>", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"node completed\"><title>c3: Compare the tastes", dom, StringComparison.Ordinal);
        Assert.Contains("data-graph-rendered=\"5\"", dom, StringComparison.Ordinal);
    }

    private async Task<string> ChromiumAsync(params string[] args)
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "headless Chromium is needed for this test: apt-get install chromium (.ci/run installs it)");
        var start = new ProcessStartInfo(chromium!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars", $"--user-data-dir={Path.Combine(_work, "chrome")}" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return await output;
    }
}
