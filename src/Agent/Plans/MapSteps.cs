using System.Globalization;

namespace Plansmith.Agent.Plans;

/// <summary>
/// How a map step — one tool applied to each item of a list — lives in a plan once expanded:
/// item <c>n</c> (from 1) is an ordinary tool step with id <c>{map}_{n}</c>, and the map step's own
/// id is a <see cref="StepKind.Collect"/> step that depends on the items in order, so later steps
/// depend on <c>map</c> and read all the results as one JSON array through <c>${map}</c>, or one
/// result through <c>${map_2}</c> or <c>${map[1]}</c>. The expanded form is an ordinary plan: the
/// validator, the scheduler, references and <see cref="PlanJson"/> need nothing else.
/// </summary>
public static class MapSteps
{
    /// <summary>The most items one map step may have (1,000); the plan's step limit usually bites first.</summary>
    public const int MaxItems = 1_000;

    /// <summary>The id of item <paramref name="item"/> (from 1) of map step <paramref name="mapId"/>: <c>s1_1</c>, <c>s1_2</c>, ….</summary>
    public static string ItemId(string mapId, int item)
    {
        ArgumentNullException.ThrowIfNull(mapId);
        ArgumentOutOfRangeException.ThrowIfLessThan(item, 1);
        return mapId + "_" + item.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Ids for messages: <c>s1_1…s1_8</c> for a run of items of one map, else the ids with commas.</summary>
    internal static string DescribeIds(IReadOnlyList<string> ids, string? mapId = null)
    {
        if (ids.Count > 2 && mapId is not null && ids.Select((id, i) => id == ItemId(mapId, i + 1)).All(x => x))
        {
            return ids[0] + "…" + ids[^1];
        }

        return PlanProblemText.ListNames(ids);
    }
}
