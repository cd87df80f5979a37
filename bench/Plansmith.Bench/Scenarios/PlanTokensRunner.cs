using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;

namespace Plansmith.Bench.Scenarios;

/// <summary>
/// Plan tokens a planner writes per tool step (o200k), for the scenario workloads in each plan form:
/// the full form the scenario model writes today, the canonical JSON, compact JSON objects, step
/// lines inside JSON (what plan_create asks for), the same with map steps, and bare lines without
/// and with map steps. Every form is read back with PlanReader and validated, and must call the same tools after
/// the same prerequisites. Run: dotnet run -c Release --project bench/Plansmith.Bench -- plantokens
/// </summary>
internal static class PlanTokensRunner
{
    private static readonly Tokenizer Tokens = TiktokenTokenizer.CreateForModel("gpt-4o");
    internal static readonly JsonSerializerOptions AsWritten = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static int Run()
    {
        // The same draws as the scenarios, so the workloads are the same.
        var random = new Random(2026);
        Workload[] workloads =
        [
            Workload.Chain(8, random), Workload.FanOut(8, random), Workload.Diamond(random), Workload.Tree(3, random),
            Workload.RandomDag(20, random), Workload.RandomDag(50, random), Workload.Research(4, random),
        ];
        string[] forms = ["full form (today)", "canonical JSON", "compact JSON objects", "step lines in JSON", "step lines in JSON + map", "bare lines", "bare lines + map"];
        Console.WriteLine("Plan tokens written per tool step (o200k); every form read back with PlanReader, validated, and checked to run the same tool calls after the same prerequisites.");
        Console.WriteLine();
        Console.WriteLine($"| workload | tool steps | {string.Join(" | ", forms)} |");
        Console.WriteLine($"| --- | ---: |{string.Concat(forms.Select(_ => " ---: |"))}");
        var failed = false;
        foreach (var workload in workloads)
        {
            var groups = MapGroups(workload);
            string[] texts =
            [
                JsonSerializer.Serialize(new { steps = workload.Tasks.Select(t => new { id = t.Id, description = "Run task " + t.Id, dependencies = t.Dependencies, tool = "work.run", arguments = new { task = t.Id } }) }),
                PlanJson.Serialize(PlanReader.Parse(JsonSerializer.Serialize(new { steps = workload.Tasks.Select(t => new { id = t.Id, description = "Run task " + t.Id, dependencies = t.Dependencies, tool = "work.run", arguments = new { task = t.Id } }) })), indented: false),
                "{\"steps\":[" + string.Join(",", workload.Tasks.Select(CompactObject)) + "]}",
                JsonLines(Lines(workload, [])),
                JsonLines(Lines(workload, groups)),
                string.Join("\n", Lines(workload, [])),
                string.Join("\n", Lines(workload, groups)),
            ];
            var cells = new List<string>();
            foreach (var text in texts)
            {
                var problem = Check(workload, text);
                failed |= problem is not null;
                cells.Add(string.Create(CultureInfo.InvariantCulture, $"{(double)Tokens.CountTokens(text) / workload.Tasks.Count:0.0}") + (problem is null ? string.Empty : $" (WRONG: {problem})"));
            }

            Console.WriteLine($"| {workload.Name} | {workload.Tasks.Count} | {string.Join(" | ", cells)} |");
        }

        return failed ? 1 : 0;
    }

    private static string CompactObject(WorkTask task) =>
        $"{{\"id\":\"{task.Id}\",\"t\":\"work.run\",\"a\":{{\"task\":\"{task.Id}\"}}"
        + (task.Dependencies.Length == 0 ? string.Empty : $",\"dep\":[{string.Join(",", task.Dependencies.Select(d => $"\"{d}\""))}]") + "}";

    /// <summary>As a model writes it: quotes escaped as \", not \u0022.</summary>
    private static string JsonLines(IEnumerable<string> lines) => JsonSerializer.Serialize(new { steps = lines }, AsWritten);

    /// <summary>Tasks with the same prerequisites, two or more: each group is written as one map step.</summary>
    internal static List<List<WorkTask>> MapGroups(Workload workload) =>
        [.. workload.Tasks.GroupBy(t => string.Join(",", t.Dependencies.Order(StringComparer.Ordinal))).Where(g => g.Count() > 1).Select(g => g.ToList())];

    /// <summary>One line per task, or per group of tasks written as a map step (ids g1, g2, …).</summary>
    internal static List<string> Lines(Workload workload, List<List<WorkTask>> groups)
    {
        var nameOf = new Dictionary<string, string>();
        for (var g = 0; g < groups.Count; g++)
        {
            for (var i = 0; i < groups[g].Count; i++)
            {
                nameOf[groups[g][i].Id] = MapSteps.ItemId($"g{g + 1}", i + 1);
            }
        }

        var lines = new List<string>();
        foreach (var task in workload.Tasks)
        {
            var group = groups.FindIndex(g => g[0] == task);
            if (groups.Any(g => g.Contains(task)) && group < 0)
            {
                continue;
            }

            var call = group < 0
                ? $"{task.Id} = work.run(task=\"{task.Id}\")"
                : $"g{group + 1} = work.run(task in [{string.Join(", ", groups[group].Select(t => $"\"{t.Id}\""))}])";
            var after = After(task.Dependencies, groups, nameOf);
            lines.Add(after.Count == 0 ? call : $"{call} after {string.Join(", ", after)}");
        }

        return lines;
    }

    /// <summary>A dependency on every task of a group is one on the map step; on some of them, on their items.</summary>
    private static List<string> After(string[] dependencies, List<List<WorkTask>> groups, Dictionary<string, string> nameOf)
    {
        var after = new List<string>();
        foreach (var dependency in dependencies)
        {
            var group = groups.FindIndex(g => g.Any(t => t.Id == dependency));
            var name = group >= 0 && groups[group].All(t => dependencies.Contains(t.Id)) ? $"g{group + 1}" : nameOf.GetValueOrDefault(dependency, dependency);
            if (!after.Contains(name))
            {
                after.Add(name);
            }
        }

        return after;
    }

    /// <summary>Null when the text reads as a valid plan that runs every task once, after the same tasks as the workload; else what is wrong.</summary>
    private static string? Check(Workload workload, string text)
    {
        var kernel = new Kernel();
        kernel.Plugins.AddFromObject(new ScenarioRunner.WorkPlugin(workload), "work");
        if (!PlanReader.TryParse(text, out var plan, out var parseProblems))
        {
            return parseProblems[0].ToString();
        }

        var problems = new PlanValidator(new PlanValidationOptions { MaxSteps = 1_000 }).Check(plan!, kernel.Plugins);
        if (problems.Count > 0)
        {
            return problems[0].ToString();
        }

        var expected = workload.Tasks.ToDictionary(t => t.Id, t => string.Join(",", Closure(t.Id, id => workload[id].Dependencies)));
        var taskOf = plan!.Steps.Where(s => s.Tool is not null).ToDictionary(s => s.Id, s => s.Arguments["task"].GetString()!);
        var actual = new Dictionary<string, string>();
        foreach (var (stepId, task) in taskOf)
        {
            var prerequisites = Closure(stepId, id => plan.FindStep(id)!.Dependencies).Where(taskOf.ContainsKey).Select(s => taskOf[s]);
            actual[task] = string.Join(",", prerequisites.Order(StringComparer.Ordinal));
        }

        var wrong = expected.Where(e => !actual.TryGetValue(e.Key, out var a) || a != e.Value).Select(e => e.Key).ToList();
        return taskOf.Count != workload.Tasks.Count || wrong.Count > 0 ? $"tasks {string.Join(", ", wrong)} differ" : null;
    }

    private static SortedSet<string> Closure(string id, Func<string, IEnumerable<string>> dependencies)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(dependencies(id));
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (seen.Add(next))
            {
                foreach (var d in dependencies(next))
                {
                    pending.Push(d);
                }
            }
        }

        return seen;
    }
}
