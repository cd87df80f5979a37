using System.Text.Json;
using System.Text.RegularExpressions;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Reports;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Tests.Runs.Reports;

/// <summary>Reports of stored runs built by hand: replans, child plans and hostile answers.</summary>
public sealed class RunReportTests
{
    private const string HostileAnswer =
        "## Findings\n\nPears win.\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        + "[x](javascript:alert(1)) and [ok](https://example.org/) and [ref][r] and <javascript:alert(3)> and ![pixel](https://example.org/p.png)\n\n"
        + "[r]: JaVaScRiPt:alert(4)\n\n| fruit | score |\n|---|---|\n| pear | 2 |\n\n```\ncode <b>here</b>\n```\n";

    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Html_ReplanWithFailedStep_DrawsEveryVersionsStepsWithReplacedOnesMarked()
    {
        var html = RunReport.Html(ReplannedRun());

        // v1's s2 failed and s3 was skipped: both are still drawn, dashed, with their version.
        Assert.Matches("<g class=\"node failed replaced\"><title>s2: Read the notes", html);
        Assert.Matches("<g class=\"node skipped replaced\"><title>s3: ", html);

        // The replan reused the id s2 for a new step, which completed in v2.
        Assert.Matches("<g class=\"node completed\"><title>s2: Search the web instead", html);

        // s1 ran in v1 and was kept: drawn once.
        Assert.Single(Regex.Matches(html, "<title>s1: "));
        Assert.Contains("<tr class=\"replaced\"><td><b>s2</b> Read the notes</td><td>v1<span class=\"tag\">replaced</span>", html, StringComparison.Ordinal);
        Assert.Contains("<td><b>s1</b> Collect the notes</td><td>v1, kept in v2</td>", html, StringComparison.Ordinal);
        Assert.Contains("no such file: notes.md", html, StringComparison.Ordinal);
        Assert.Contains("<li><b>v2</b> — replan 1 after s2 failed: s1, s2, r1, r2</li>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_SubgoalWithChildPlan_NestsTheChildPlanAndItsOwnChildUnderTheStep()
    {
        var html = RunReport.Html(ReplannedRun());

        var r1 = html.IndexOf("<td><b>r1</b>", StringComparison.Ordinal);
        var child = html.IndexOf("<h4>Child plan of r1 (depth 1)</h4>", StringComparison.Ordinal);
        var grandchild = html.IndexOf("<h4>Child plan of c2 (depth 2)</h4>", StringComparison.Ordinal);
        var r2 = html.IndexOf("<td><b>r2</b>", StringComparison.Ordinal);
        Assert.True(r1 > 0 && r1 < child && child < grandchild && grandchild < r2, "child plans are not nested under their subgoal step");
        Assert.Contains("child output c1", html, StringComparison.Ordinal);
        Assert.Contains("deep output d1", html, StringComparison.Ordinal);
        Assert.Matches("<g class=\"node completed\"><title>c1: Look up pears", html);
    }

    [Fact]
    public void Html_HostileAnswer_IsRenderedAsInertHtml()
    {
        var html = RunReport.Html(ReplannedRun());
        var answer = Between(html, "<div class=\"answer\">", "</div>");

        Assert.Contains("<h2>Findings</h2>", answer, StringComparison.Ordinal);
        Assert.Contains("<table>", answer, StringComparison.Ordinal);
        Assert.Contains("<td>pear</td>", answer, StringComparison.Ordinal);
        Assert.Contains("<pre><code>code &lt;b&gt;here&lt;/b&gt;", answer, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", answer, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", answer, StringComparison.Ordinal);
        Assert.Contains("href=\"https://example.org/\"", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", answer, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", answer, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(answer, "href=\"#blocked-link\""));

        // An image is only a link: opening the report loads nothing.
        Assert.Contains("<a href=\"https://example.org/p.png\">pixel</a>", answer, StringComparison.Ordinal);

        // The page's own layout script is the only script, and the policy allows no other.
        Assert.Single(Regex.Matches(html, "<script"));
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        Assert.DoesNotContain("onerror=alert", html.Replace("&lt;img src=x onerror=alert(2)&gt;", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_ReplanAndChildPlans_CarriesTheSameInformation()
    {
        var markdown = RunReport.Markdown(ReplannedRun());

        Assert.Contains("### s1 — Collect the notes (completed, v1, kept in v2", markdown, StringComparison.Ordinal);
        Assert.Contains("### s2 — Read the notes (failed, v1, replaced)\n\n> no such file: notes.md", markdown, StringComparison.Ordinal);
        Assert.Contains("### s3 — Summarise the notes (skipped, v1, replaced)", markdown, StringComparison.Ordinal);
        Assert.Contains("### s2 — Search the web instead (completed, v2", markdown, StringComparison.Ordinal);
        Assert.Contains("- **v1** — created by the planner: s1, s2, s3", markdown, StringComparison.Ordinal);
        Assert.Contains("- **v2** — replan 1 after s2 failed: s1, s2, r1, r2", markdown, StringComparison.Ordinal);
        Assert.Contains("#### r1 › child plan (depth 1): c1 c2 (after c1)", markdown, StringComparison.Ordinal);
        Assert.Contains("##### r1 › c1 — Look up pears (completed)\n\n```\nchild output c1\n```", markdown, StringComparison.Ordinal);
        Assert.Contains("##### r1 › c2 › d1 — Dig deeper (completed)\n\n```\ndeep output d1\n```", markdown, StringComparison.Ordinal);

        // Both s2 nodes are in the graph, the replaced one styled as such.
        Assert.Contains("v1_1[\"s2 · v1: Read the notes\"]:::failed", markdown, StringComparison.Ordinal);
        Assert.Contains("class v1_1 replaced", markdown, StringComparison.Ordinal);
        Assert.Contains("[\"s2 · v2: Search the web instead\"]:::completed", markdown, StringComparison.Ordinal);
        Assert.Contains("## Answer\n\n## Findings", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_ReplanAndChildPlans_HasEveryVersionAndNestedChildPlans()
    {
        using var json = JsonDocument.Parse(RunReport.Json(ReplannedRun()));
        var root = json.RootElement;

        Assert.Equal(2, root.GetProperty("versions").GetArrayLength());
        Assert.Equal("replan 1 after s2 failed", root.GetProperty("versions")[1].GetProperty("origin").GetString());
        var steps = root.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["s1", "s2", "s3", "s2", "r1", "r2"], steps.Select(s => s.GetProperty("id").GetString()));
        var failed = steps[1];
        Assert.Equal(1, failed.GetProperty("version").GetInt32());
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.True(failed.GetProperty("replaced").GetBoolean());
        Assert.Equal("no such file: notes.md", failed.GetProperty("error").GetString());
        Assert.Equal("completed", steps[3].GetProperty("status").GetString());
        Assert.Equal(2, steps[3].GetProperty("version").GetInt32());
        Assert.Equal([2], steps[0].GetProperty("keptIn").EnumerateArray().Select(e => e.GetInt32()));

        var child = Assert.Single(steps[4].GetProperty("childPlans").EnumerateArray());
        Assert.Equal(1, child.GetProperty("depth").GetInt32());
        Assert.Equal("child output c1", child.GetProperty("steps")[0].GetProperty("output").GetString());
        var grandchild = Assert.Single(child.GetProperty("steps")[1].GetProperty("childPlans").EnumerateArray());
        Assert.Equal("deep output d1", grandchild.GetProperty("steps")[0].GetProperty("output").GetString());
    }

    [Fact]
    public void Html_PlanApprovedWithoutChange_ShowsOneVersionAndListsTheDraft()
    {
        var plan = new Plan([new PlanStep { Id = "s1", Description = "Only step" }]);
        var run = new StoredRun
        {
            Id = "r2",
            Info = new RunInfo("goal", "test", "{}", string.Empty, string.Empty, []),
            Status = StoredRunStatus.Completed,
            PlanVersions = [plan, plan],
            Steps = [new StoredStep("s1", StepStatus.Completed, "out", 1, T0, T0.AddSeconds(1), null, false)],
            Events = Events(new PlanCreated { Timestamp = T0, Plan = plan, Attempt = 1 }, new PlanApproved { Timestamp = T0, Plan = plan, Edited = false }, new StepStarted { Timestamp = T0, StepId = "s1", Description = "Only step", Ordinal = 1, Total = 1 }, Completed("s1", "out", 1)),
        };

        var html = RunReport.Html(run);

        Assert.Single(Regex.Matches(html, "<g class=\"node "));
        Assert.Contains("<li><b>v1</b> — created by the planner (did not run): s1</li>", html, StringComparison.Ordinal);
        Assert.Contains("<td><b>s1</b> Only step</td><td>v2</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("replaced", Between(html, "<svg id=\"plan-graph\"", "</svg>"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://example.org/a", true)]
    [InlineData("HTTP://example.org", true)]
    [InlineData("mailto:someone@example.org", true)]
    [InlineData("docs/page.md", true)]
    [InlineData("#section", true)]
    [InlineData("?q=a:b", true)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData(" JavaScript:alert(1)", false)]
    [InlineData("java\tscript:alert(1)", false)]
    [InlineData("data:text/html,<script>alert(1)</script>", false)]
    [InlineData("vbscript:msgbox", false)]
    [InlineData("file:///etc/passwd", false)]
    [InlineData("//evil.example/x", false)]
    [InlineData("\\\\evil\\share", false)]
    public void IsSafeUrl_Schemes_OnlyWebMailAndRelativeStayLive(string url, bool safe) =>
        Assert.Equal(safe, InertMarkdown.IsSafeUrl(url));

    private static StoredRun ReplannedRun()
    {
        var v1 = new Plan(
        [
            new PlanStep { Id = "s1", Description = "Collect the notes" },
            new PlanStep { Id = "s2", Description = "Read the notes", Tool = "files.read", Dependencies = ["s1"] },
            new PlanStep { Id = "s3", Description = "Summarise the notes", Dependencies = ["s2"] },
        ]);
        var v2 = new Plan(
        [
            v1.Steps[0],
            new PlanStep { Id = "s2", Description = "Search the web instead", Dependencies = ["s1"] },
            new PlanStep { Id = "r1", Description = "Compare the fruit", Kind = StepKind.Subgoal, Dependencies = ["s2"] },
            new PlanStep { Id = "r2", Description = "Write it up", Dependencies = ["r1"] },
        ]);
        var child = new Plan([new PlanStep { Id = "c1", Description = "Look up pears" }, new PlanStep { Id = "c2", Description = "Weigh them", Kind = StepKind.Subgoal, Dependencies = ["c1"] }]);
        var grandchild = new Plan([new PlanStep { Id = "d1", Description = "Dig deeper" }]);
        var events = Events(
            new PlanCreated { Timestamp = T0, Plan = v1, Attempt = 1 },
            new StepStarted { Timestamp = T0.AddSeconds(1), StepId = "s1", Description = "Collect the notes", Ordinal = 1, Total = 3 },
            Completed("s1", "notes collected", 2),
            new StepStarted { Timestamp = T0.AddSeconds(2), StepId = "s2", Description = "Read the notes", Ordinal = 2, Total = 3 },
            new StepFailed { Timestamp = T0.AddSeconds(3), StepId = "s2", Description = "Read the notes", Error = "no such file: notes.md", Duration = TimeSpan.FromSeconds(1), Attempts = 2 },
            new StepSkipped { Timestamp = T0.AddSeconds(3), StepId = "s3", Description = "Summarise the notes", Reason = "s2 failed" },
            new Replanned { Timestamp = T0.AddSeconds(4), Replan = 1, FailedStepId = "s2", Error = "no such file: notes.md", Plan = v2 },
            new StepStarted { Timestamp = T0.AddSeconds(5), StepId = "s2", Description = "Search the web instead", Ordinal = 1, Total = 3 },
            Completed("s2", "search results", 6),
            new StepStarted { Timestamp = T0.AddSeconds(6), StepId = "r1", Description = "Compare the fruit", Ordinal = 2, Total = 3 },
            new SubplanCreated { Timestamp = T0.AddSeconds(6), ParentStepId = "r1", Depth = 1, Plan = child },
            new SubplanEvent { Timestamp = T0.AddSeconds(6), ParentStepId = "r1", Depth = 1, Inner = new StepStarted { Timestamp = T0.AddSeconds(6), StepId = "c1", Description = "Look up pears", Ordinal = 1, Total = 2 } },
            new SubplanEvent { Timestamp = T0.AddSeconds(7), ParentStepId = "r1", Depth = 1, Inner = Completed("c1", "child output c1", 7) },
            new SubplanEvent { Timestamp = T0.AddSeconds(7), ParentStepId = "r1", Depth = 1, Inner = new StepStarted { Timestamp = T0.AddSeconds(7), StepId = "c2", Description = "Weigh them", Ordinal = 2, Total = 2 } },
            new SubplanCreated { Timestamp = T0.AddSeconds(7), ParentStepId = "c2", Depth = 2, Plan = grandchild },
            new SubplanEvent { Timestamp = T0.AddSeconds(7), ParentStepId = "c2", Depth = 2, Inner = new StepStarted { Timestamp = T0.AddSeconds(7), StepId = "d1", Description = "Dig deeper", Ordinal = 1, Total = 1 } },
            new SubplanEvent { Timestamp = T0.AddSeconds(8), ParentStepId = "c2", Depth = 2, Inner = Completed("d1", "deep output d1", 8) },
            new SubplanEvent { Timestamp = T0.AddSeconds(8), ParentStepId = "r1", Depth = 1, Inner = Completed("c2", "deep output d1", 8) },
            Completed("r1", "deep output d1", 8),
            new StepStarted { Timestamp = T0.AddSeconds(8), StepId = "r2", Description = "Write it up", Ordinal = 3, Total = 3 },
            Completed("r2", "written", 9));
        return new StoredRun
        {
            Id = "run-1",
            Info = new RunInfo("Compare apples and pears", "test", "{}", string.Empty, string.Empty, []),
            Status = StoredRunStatus.Completed,
            StartedAt = T0,
            EndedAt = T0.AddSeconds(10),
            Answer = HostileAnswer,
            PlanVersions = [v1, v2],

            // The store keeps one row per step id: v2's s2 overwrote v1's.
            Steps =
            [
                new StoredStep("s1", StepStatus.Completed, "notes collected", 1, T0.AddSeconds(1), T0.AddSeconds(2), null, false),
                new StoredStep("s2", StepStatus.Completed, "search results", 1, T0.AddSeconds(5), T0.AddSeconds(6), null, false) { Usage = new TokenUsage(1, 10, 5) },
                new StoredStep("s3", StepStatus.Skipped, null, 0, null, T0.AddSeconds(3), "s2 failed", false),
                new StoredStep("r1", StepStatus.Completed, "deep output d1", 1, T0.AddSeconds(6), T0.AddSeconds(8), null, false),
                new StoredStep("r2", StepStatus.Completed, "written", 1, T0.AddSeconds(8), T0.AddSeconds(9), null, false),
            ],
            Events = events,
        };
    }

    private static StepCompleted Completed(string id, string output, int second) =>
        new() { Timestamp = T0.AddSeconds(second), StepId = id, Description = id, OutputPreview = output, Duration = TimeSpan.FromSeconds(1), Attempts = 1, Output = output };

    private static List<StoredEvent> Events(params ExecutionEvent[] events) =>
        [.. events.Select((e, i) => new StoredEvent(i + 1, e.GetType().Name, e.Timestamp, EventJson.Serialize(e)))];

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"'{start}' not found");
        var to = text.IndexOf(end, from + start.Length, StringComparison.Ordinal);
        return text[from..to];
    }
}
