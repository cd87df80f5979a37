using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Plansmith.Cli.Telemetry;

/// <summary><c>--trace console</c>: the metrics' current values on standard error (standard output is for answers).</summary>
internal sealed class StandardErrorMetricExporter : BaseExporter<Metric>
{
    private readonly TextWriter _writer;

    public StandardErrorMetricExporter(TextWriter writer)
    {
        _writer = writer;
    }

    public override ExportResult Export(in Batch<Metric> batch)
    {
        foreach (var metric in batch)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new List<string>();
                foreach (var tag in point.Tags)
                {
                    tags.Add($"{tag.Key}={tag.Value}");
                }

                var value = metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong().ToString(CultureInfo.InvariantCulture),
                    MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble().ToString("0.###", CultureInfo.InvariantCulture),
                    MetricType.LongGauge => point.GetGaugeLastValueLong().ToString(CultureInfo.InvariantCulture),
                    MetricType.DoubleGauge => point.GetGaugeLastValueDouble().ToString("0.###", CultureInfo.InvariantCulture),
                    MetricType.Histogram => string.Create(CultureInfo.InvariantCulture, $"count={point.GetHistogramCount()} sum={point.GetHistogramSum():0.###}"),
                    _ => metric.MetricType.ToString(),
                };
                _writer.WriteLine($"metric {metric.Name} {value}{(metric.Unit is { Length: > 0 } unit ? " " + unit : string.Empty)} {string.Join(' ', tags)}");
            }
        }

        return ExportResult.Success;
    }
}
