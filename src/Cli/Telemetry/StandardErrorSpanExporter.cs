using System.Diagnostics;
using System.Globalization;
using OpenTelemetry;

namespace Plansmith.Cli.Telemetry;

/// <summary>
/// <c>--trace console</c>: one line per finished span on standard error, so that standard output
/// keeps only the answer (and <c>--json</c> stays valid JSON).
/// </summary>
internal sealed class StandardErrorSpanExporter : BaseExporter<Activity>
{
    private readonly TextWriter _writer;

    public StandardErrorSpanExporter(TextWriter writer)
    {
        _writer = writer;
    }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var activity in batch)
        {
            var tags = string.Join(' ', activity.TagObjects.Select(t => $"{t.Key}={t.Value}"));
            var status = activity.Status == ActivityStatusCode.Error ? $" error={activity.StatusDescription}" : string.Empty;
            _writer.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"trace {activity.TraceId} span {activity.SpanId} parent {(activity.ParentSpanId == default ? "-" : activity.ParentSpanId.ToString())} {activity.DisplayName} {activity.Duration.TotalMilliseconds:0.0} ms{status} {tags}"));
        }

        return ExportResult.Success;
    }
}
