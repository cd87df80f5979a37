using System.Globalization;

namespace Plansmith.Bench.Scenarios;

/// <summary>
/// The scenario runner's command line: <c>[--latency fixed|fast|slow|local|realistic|all]</c> (a
/// comma-separated list is fine; default all) and <c>[--time-scale F]</c>, the factor every model
/// delay and tool duration is run at (default 1 for the fixed model, <see cref="DefaultRealisticTimeScale"/>
/// for the realistic ones; reports are always in unscaled units).
/// </summary>
internal sealed record ScenarioOptions(IReadOnlyList<LatencyModel> Latencies, double? TimeScale, bool FullPlans = false)
{
    /// <summary>
    /// The realistic settings take about 23 minutes of model and tool time in all; run at 1/5
    /// speed they take under 5.
    /// </summary>
    public const double DefaultRealisticTimeScale = 0.2;

    public const string Usage = "scenarios [--latency fixed|fast|slow|local|realistic|all[,…]] [--time-scale F (0 < F ≤ 1)] [--plan compact|full]";

    public double TimeScaleFor(LatencyModel latency)
    {
        ArgumentNullException.ThrowIfNull(latency);
        return TimeScale ?? (latency.IsFixed ? 1 : DefaultRealisticTimeScale);
    }

    /// <summary>The options, or null and a message that says what to write instead.</summary>
    public static ScenarioOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        IReadOnlyList<LatencyModel> latencies = LatencyModel.All;
        double? scale = null;
        var full = false;
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--latency" when value is not null:
                    var chosen = new List<LatencyModel>();
                    foreach (var key in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        IReadOnlyList<LatencyModel>? named = key switch
                        {
                            "all" => LatencyModel.All,
                            "realistic" => LatencyModel.Realistic,
                            _ => LatencyModel.All.FirstOrDefault(l => l.Key == key) is { } one ? [one] : null,
                        };
                        if (named is null)
                        {
                            error = $"Unknown latency model '{key}': use fixed, fast, slow, local, realistic or all. Usage: {Usage}";
                            return null;
                        }

                        chosen.AddRange(named.Where(l => !chosen.Contains(l)));
                    }

                    latencies = chosen.Count > 0 ? chosen : LatencyModel.All;
                    i++;
                    break;
                case "--time-scale" when value is not null:
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) || !(factor > 0 && factor <= 1))
                    {
                        error = $"--time-scale takes a factor above 0 and at most 1 (0.2 runs every delay at 1/5 of its length), not '{value}'. Usage: {Usage}";
                        return null;
                    }

                    scale = factor;
                    i++;
                    break;
                case "--plan" when value is "compact" or "full":
                    full = value == "full";
                    i++;
                    break;
                default:
                    error = $"Unknown or incomplete argument '{args[i]}'. Usage: {Usage}";
                    return null;
            }
        }

        error = null;
        return new ScenarioOptions([.. LatencyModel.All.Where(latencies.Contains)], scale, full);
    }
}
