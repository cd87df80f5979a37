namespace Plansmith.Bench.Scenarios;

/// <summary>A set of tasks with latencies and dependencies: what every strategy must get done.</summary>
internal sealed record Workload(string Name, IReadOnlyList<WorkTask> Tasks, int OutputChars = 120)
{
    public WorkTask this[string id] => Tasks.First(t => t.Id == id);

    /// <summary>The longest chain of task latencies.</summary>
    public TimeSpan CriticalPath => FinishWhenReleased(_ => TimeSpan.Zero);

    /// <summary>
    /// When the last task ends if each task starts as soon as it is released and its dependencies
    /// are done: the longest chain of latencies, each chain starting no earlier than its tasks'
    /// release times (for a streamed plan: when each step has been written).
    /// </summary>
    public TimeSpan FinishWhenReleased(Func<WorkTask, TimeSpan> release)
    {
        ArgumentNullException.ThrowIfNull(release);
        var finish = new Dictionary<string, TimeSpan>();
        foreach (var task in Tasks)
        {
            var start = task.Dependencies.Select(d => finish[d]).Append(release(task)).Max();
            finish[task.Id] = start + task.Latency;
        }

        return finish.Values.Max();
    }

    /// <summary>Levels of the DAG: tasks whose dependencies are all in earlier levels.</summary>
    public int Depth
    {
        get
        {
            var level = new Dictionary<string, int>();
            foreach (var task in Tasks)
            {
                level[task.Id] = task.Dependencies.Select(d => level[d] + 1).DefaultIfEmpty(0).Max();
            }

            return level.Values.Max() + 1;
        }
    }

    public static Workload Chain(int n, Random random) =>
        new($"chain of {n}", [.. Enumerable.Range(1, n).Select(i => new WorkTask($"t{i}", Latency(random), i == 1 ? [] : [$"t{i - 1}"]))]);

    public static Workload FanOut(int n, Random random) =>
        new($"fan-out of {n} + join", [.. Enumerable.Range(1, n).Select(i => new WorkTask($"t{i}", Latency(random), [])), new WorkTask("join", Latency(random), [.. Enumerable.Range(1, n).Select(i => $"t{i}")])]);

    public static Workload Diamond(Random random) =>
        new("diamond", [new WorkTask("a", Latency(random), []), new WorkTask("b", Latency(random), ["a"]), new WorkTask("c", Latency(random), ["a"]), new WorkTask("d", Latency(random), ["b", "c"])]);

    public static Workload Tree(int branching, Random random)
    {
        var tasks = new List<WorkTask> { new("root", Latency(random), []) };
        for (var i = 1; i <= branching; i++)
        {
            tasks.Add(new WorkTask($"m{i}", Latency(random), ["root"]));
            for (var j = 1; j <= branching; j++)
            {
                tasks.Add(new WorkTask($"l{i}{j}", Latency(random), [$"m{i}"]));
            }
        }

        return new Workload($"two-level tree ({branching}×{branching})", tasks);
    }

    public static Workload RandomDag(int n, Random random)
    {
        var tasks = new List<WorkTask>();
        for (var i = 0; i < n; i++)
        {
            var dependencies = i == 0 ? [] : Enumerable.Range(0, random.Next(0, 3)).Select(_ => $"t{random.Next(Math.Max(0, i - 8), i)}").Distinct().ToArray();
            tasks.Add(new WorkTask($"t{i}", Latency(random), dependencies));
        }

        return new Workload($"random DAG of {n}", tasks);
    }

    /// <summary>Search N items, analyse each, compare: search results are long, as real ones are.</summary>
    public static Workload Research(int items, Random random)
    {
        var tasks = new List<WorkTask>();
        for (var i = 1; i <= items; i++)
        {
            tasks.Add(new WorkTask($"search{i}", Latency(random), []));
            tasks.Add(new WorkTask($"analyze{i}", Latency(random), [$"search{i}"]));
        }

        tasks.Add(new WorkTask("compare", Latency(random), [.. Enumerable.Range(1, items).Select(i => $"analyze{i}")]));
        return new Workload($"research ({items} items)", tasks, OutputChars: 1_500);
    }

    private static TimeSpan Latency(Random random) => TimeSpan.FromMilliseconds(random.Next(100, 301));
}

internal sealed record WorkTask(string Id, TimeSpan Latency, string[] Dependencies);
