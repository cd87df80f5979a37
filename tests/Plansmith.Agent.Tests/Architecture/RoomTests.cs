using Plansmith.Agent.Planning;

namespace Plansmith.Agent.Tests.Architecture;

/// <summary>
/// The rooms of Plansmith.Agent and the one direction they depend in (docs/architecture.md). A
/// type may use its own room and the rooms listed for it, nothing else of ours; so there are no
/// cycles, and moving a type into the wrong room fails here with the reference that breaks it.
/// </summary>
public sealed class RoomTests
{
    /// <summary>Room → the rooms it may use. A room is a namespace; the longest matching prefix wins.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Plansmith.Agent.Plans"] = [],
        ["Plansmith.Agent.Agents"] = [],
        ["Plansmith.Agent.Security"] = [],
        ["Plansmith.Agent.Runs"] = ["Plansmith.Agent.Plans"],
        ["Plansmith.Agent.Telemetry"] = ["Plansmith.Agent.Plans", "Plansmith.Agent.Runs"],
        ["Plansmith.Agent.Execution"] = ["Plansmith.Agent.Plans", "Plansmith.Agent.Runs", "Plansmith.Agent.Agents", "Plansmith.Agent.Security", "Plansmith.Agent.Telemetry"],
        ["Plansmith.Agent.Runs.Store"] = ["Plansmith.Agent.Plans", "Plansmith.Agent.Runs"],
        ["Plansmith.Agent.Reports"] = ["Plansmith.Agent.Plans", "Plansmith.Agent.Runs", "Plansmith.Agent.Runs.Store", "Plansmith.Agent.Security"],
        ["Plansmith.Agent.Planning"] = ["Plansmith.Agent.Plans", "Plansmith.Agent.Runs", "Plansmith.Agent.Execution", "Plansmith.Agent.Agents", "Plansmith.Agent.Security", "Plansmith.Agent.Telemetry", "Plansmith.Agent.Runs.Store"],
        ["Plansmith.Agent.Offline"] = ["Plansmith.Agent.Plans", "Plansmith.Agent.Runs", "Plansmith.Agent.Planning"],
        ["Plansmith.Agent.Hosting"] = ["*"],
    };

    [Fact]
    public void EveryType_LivesInAKnownRoom()
    {
        var homeless = typeof(PlanningAgent).Assembly.GetTypes()
            .Where(t => t.Namespace is { } ns && ns.StartsWith("Plansmith.Agent", StringComparison.Ordinal) && !t.Name.StartsWith('<') && RoomOf(ns) is null)
            .Select(t => t.FullName)
            .ToList();

        Assert.True(homeless.Count == 0, "Types outside every room (add the room to this test and docs/architecture.md): " + string.Join(", ", homeless));
    }

    [Fact]
    public void Rooms_DependInOneDirectionOnly()
    {
        var broken = RoomDependencies.Read(typeof(PlanningAgent).Assembly.Location)
            .Select(p => (p.FromType, p.ToType, From: RoomOf(p.FromNamespace), To: RoomOf(p.ToNamespace)))
            .Where(p => p.From is { } from && p.To is { } to && from != to && !Allowed[from].Contains("*") && !Allowed[from].Contains(to))
            .Select(p => $"{p.FromType} ({p.From}) uses {p.ToType} ({p.To})")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(broken.Count == 0, $"{broken.Count} reference(s) against the rooms' direction:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void AllowedRooms_FormNoCycle()
    {
        // The table itself must be a DAG, or the direction test above proves nothing.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        bool Cyclic(string room)
        {
            if (state.TryGetValue(room, out var s))
            {
                return s == 1;
            }

            state[room] = 1;
            var cyclic = Allowed[room].Where(r => r != "*").Any(Cyclic);
            state[room] = 2;
            return cyclic;
        }

        Assert.DoesNotContain(Allowed.Keys, Cyclic);
    }

    [Fact]
    public void DirectionTest_SeesReferencesInsideMethodBodies()
    {
        // A check that cannot fail proves nothing: this test's own reader must find a reference
        // that exists only inside a method body (PlanningAgent builds a ToolStepExecutor).
        var pairs = RoomDependencies.Read(typeof(PlanningAgent).Assembly.Location);

        Assert.Contains(pairs, p => p.FromType == typeof(PlanningAgent).FullName && p.ToType == "Plansmith.Agent.Execution.ToolStepExecutor");
    }

    private static string? RoomOf(string ns) =>
        Allowed.Keys.Where(room => ns == room || ns.StartsWith(room + ".", StringComparison.Ordinal))
            .OrderByDescending(room => room.Length)
            .FirstOrDefault();
}
