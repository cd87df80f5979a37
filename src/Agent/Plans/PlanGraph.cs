namespace Plansmith.Agent.Plans;

/// <summary>
/// The dependency graph of a plan, with steps named by their position in <see cref="Plan.Steps"/>:
/// which position an id names, the steps each step waits for (<see cref="DependenciesOf"/>,
/// <see cref="DependencyCount"/>) and the steps waiting for it (<see cref="DependentsOf"/>), every
/// step a step waits for directly or not (<see cref="AncestorsOf"/>), a topological order, and the
/// dependency cycles. It is the one cycle check in Plans: <see cref="PlanValidator"/> reports what
/// <see cref="FindCycles"/> finds, and a dataflow scheduler can start each step once its
/// <see cref="DependencyCount"/> dependencies are done and then release its <see cref="DependentsOf"/>.
/// </summary>
/// <remarks>
/// The graph judges nothing and never throws on a bad plan. An id names the first step that has it;
/// a step whose id is blank or taken by an earlier step cannot be depended on, so it is never part
/// of a cycle (<see cref="PlanValidator"/> reports such ids). A dependency on an id that no step has
/// is no edge; <see cref="UnknownDependenciesOf"/> lists it. A dependency listed twice counts once.
/// The graph reads the steps once, when it is built; it is not safe to change them afterwards.
/// </remarks>
internal sealed class PlanGraph
{
    private readonly Dictionary<string, int> _indexOf;
    private readonly List<string> _ids;
    private readonly List<int>[] _dependencies;
    private readonly List<int>[] _dependents;
    private IReadOnlyList<IReadOnlyList<int>>? _cycles;

    /// <summary>Builds the graph of <paramref name="plan"/>'s steps.</summary>
    public PlanGraph(Plan plan)
        : this((plan ?? throw new ArgumentNullException(nameof(plan))).Steps)
    {
    }

    /// <summary>Builds the graph of <paramref name="steps"/>, in the order given.</summary>
    public PlanGraph(IReadOnlyList<PlanStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        Steps = steps;
        _indexOf = new Dictionary<string, int>(steps.Count, StringComparer.Ordinal);
        _ids = new List<string>(steps.Count);
        _dependencies = new List<int>[steps.Count];
        _dependents = new List<int>[steps.Count];
        for (var i = 0; i < steps.Count; i++)
        {
            _dependents[i] = [];
            if (!string.IsNullOrWhiteSpace(steps[i].Id) && _indexOf.TryAdd(steps[i].Id, i))
            {
                _ids.Add(steps[i].Id);
            }
        }

        for (var i = 0; i < steps.Count; i++)
        {
            _dependencies[i] = [];
            foreach (var dependency in steps[i].Dependencies)
            {
                if (_indexOf.TryGetValue(dependency, out var d) && !_dependencies[i].Contains(d))
                {
                    _dependencies[i].Add(d);
                    _dependents[d].Add(i);
                }
            }
        }
    }

    /// <summary>The steps, in plan order; positions index into this list.</summary>
    public IReadOnlyList<PlanStep> Steps { get; }

    /// <summary>The ids that name a step (neither blank nor repeated), in plan order.</summary>
    public IReadOnlyList<string> Ids => _ids;

    /// <summary>Whether a step has this id.</summary>
    public bool Contains(string id) => _indexOf.ContainsKey(id);

    /// <summary>The position of the first step with this id.</summary>
    public bool TryGetIndex(string id, out int index) => _indexOf.TryGetValue(id, out index);

    /// <summary>The positions of the steps that step <paramref name="index"/> depends on, in the order its dependencies list them.</summary>
    public IReadOnlyList<int> DependenciesOf(int index) => _dependencies[index];

    /// <summary>How many steps step <paramref name="index"/> waits for: its dependencies that name a step, each once.</summary>
    public int DependencyCount(int index) => _dependencies[index].Count;

    /// <summary>The positions of the steps that depend directly on step <paramref name="index"/>, in plan order.</summary>
    public IReadOnlyList<int> DependentsOf(int index) => _dependents[index];

    /// <summary>The dependencies of step <paramref name="index"/> that no step has, as written (a repeated one repeats).</summary>
    public IEnumerable<string> UnknownDependenciesOf(int index) => Steps[index].Dependencies.Where(d => !_indexOf.ContainsKey(d));

    /// <summary>The positions of every step that step <paramref name="index"/> depends on, directly or through others.</summary>
    public IReadOnlySet<int> AncestorsOf(int index)
    {
        var seen = new HashSet<int>();
        var pending = new Stack<int>(_dependencies[index]);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (seen.Add(next))
            {
                foreach (var dependency in _dependencies[next])
                {
                    pending.Push(dependency);
                }
            }
        }

        return seen;
    }

    /// <summary>
    /// The steps in an order where each comes after every step it depends on; among steps free at
    /// the same time the one written first comes first, so a plan written in dependency order comes
    /// out unchanged. False when a cycle keeps some steps from ever being free: then
    /// <paramref name="order"/> holds every other step.
    /// </summary>
    public bool TryGetTopologicalOrder(out IReadOnlyList<int> order)
    {
        var waiting = new int[Steps.Count];
        var free = new PriorityQueue<int, int>();
        for (var i = 0; i < Steps.Count; i++)
        {
            waiting[i] = _dependencies[i].Count;
            if (waiting[i] == 0)
            {
                free.Enqueue(i, i);
            }
        }

        var sorted = new List<int>(Steps.Count);
        while (free.TryDequeue(out var next, out _))
        {
            sorted.Add(next);
            foreach (var dependent in _dependents[next])
            {
                if (--waiting[dependent] == 0)
                {
                    free.Enqueue(dependent, dependent);
                }
            }
        }

        order = sorted;
        return sorted.Count == Steps.Count;
    }

    /// <summary>
    /// One cycle for each group of steps that depend on each other in a circle, as a closed path of
    /// positions: it starts and ends with the group's first step in plan order and follows
    /// dependencies (<c>[a, b, a]</c> means a depends on b and b on a). A step that depends on itself
    /// is <c>[a, a]</c>. Where a group holds several circles, the shortest way back to its first step
    /// is chosen. Empty when the plan has no cycle.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>> FindCycles() => _cycles ??= StronglyConnected().Select(ShortestCycle).ToList();

    /// <summary>A cycle from <see cref="FindCycles"/> in words, as problems name it: <c>s1 → s3 → s2 → s1</c>.</summary>
    public string DescribeCycle(IReadOnlyList<int> cycle)
    {
        ArgumentNullException.ThrowIfNull(cycle);
        return string.Join(" → ", cycle.Select(i => Steps[i].Id));
    }

    /// <summary>
    /// The groups of steps in a circle (Tarjan's strongly connected components, iteratively, so a
    /// long chain cannot overflow the stack): components of more than one step, or of one step
    /// that depends on itself, in the order Tarjan completes them.
    /// </summary>
    private List<HashSet<int>> StronglyConnected()
    {
        var components = new List<HashSet<int>>();
        var count = Steps.Count;
        var index = new int[count];
        var low = new int[count];
        var onStack = new bool[count];
        Array.Fill(index, -1);
        var stack = new Stack<int>();
        var counter = 0;
        var work = new Stack<(int Node, int Edge)>();
        for (var root = 0; root < count; root++)
        {
            // A step no id names has no edge into it: it can be in no cycle, so it starts no search.
            if (index[root] >= 0 || !_indexOf.TryGetValue(Steps[root].Id ?? string.Empty, out var named) || named != root)
            {
                continue;
            }

            work.Push((root, 0));
            while (work.Count > 0)
            {
                var (node, edge) = work.Pop();
                if (edge == 0)
                {
                    index[node] = low[node] = counter++;
                    stack.Push(node);
                    onStack[node] = true;
                }

                if (edge < _dependencies[node].Count)
                {
                    work.Push((node, edge + 1));
                    var next = _dependencies[node][edge];
                    if (index[next] < 0)
                    {
                        work.Push((next, 0));
                    }
                    else if (onStack[next])
                    {
                        low[node] = Math.Min(low[node], index[next]);
                    }

                    continue;
                }

                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }

                if (low[node] == index[node])
                {
                    var component = new HashSet<int>();
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component.Add(member);
                    }
                    while (member != node);

                    if (component.Count > 1 || _dependencies[node].Contains(node))
                    {
                        components.Add(component);
                    }
                }
            }
        }

        return components;
    }

    private List<int> ShortestCycle(HashSet<int> component)
    {
        // Start from the member written first in the plan, so the name is stable.
        var start = component.Min();
        if (_dependencies[start].Contains(start))
        {
            return [start, start];
        }

        // Breadth-first search inside the component for the shortest way back to the start.
        var previous = new Dictionary<int, int>();
        var queue = new Queue<int>();
        queue.Enqueue(start);
        var closing = -1;
        while (queue.Count > 0 && closing < 0)
        {
            var node = queue.Dequeue();
            foreach (var next in _dependencies[node])
            {
                if (!component.Contains(next))
                {
                    continue;
                }

                if (next == start)
                {
                    closing = node;
                    break;
                }

                if (previous.TryAdd(next, node))
                {
                    queue.Enqueue(next);
                }
            }
        }

        var path = new List<int> { closing };
        while (path[^1] != start)
        {
            path.Add(previous[path[^1]]);
        }

        path.Reverse();
        path.Add(start);
        return path;
    }
}
