using System.Globalization;

namespace Plansmith.Bench.Scenarios;

/// <summary>
/// How long the loopback model takes to answer: time to first token, plus the prompt read at the
/// prefill rate, plus the reply written at the decode rate (tokens counted with o200k). Infinite
/// rates make a fixed-latency model: every request costs <see cref="TimeToFirstToken"/> whatever it
/// reads or writes, as the original scenario table assumed.
/// </summary>
/// <param name="Key">The name on the command line (<c>--latency KEY</c>).</param>
/// <param name="Name">The name in the tables.</param>
/// <param name="TimeToFirstToken">The fixed part of every request (queueing, network, scheduling).</param>
/// <param name="PrefillTokensPerSecond">Prompt tokens read per second.</param>
/// <param name="DecodeTokensPerSecond">Reply tokens written per second.</param>
internal sealed record LatencyModel(string Key, string Name, TimeSpan TimeToFirstToken, double PrefillTokensPerSecond, double DecodeTokensPerSecond)
{
    /// <summary>Every request in 250 ms, whatever its size: the original scenario table.</summary>
    public static LatencyModel Fixed { get; } = new("fixed", "fixed 250 ms", TimeSpan.FromMilliseconds(250), double.PositiveInfinity, double.PositiveInfinity);

    /// <summary>A fast hosted model: 500 ms to first token, 10,000 prompt tokens/s, 150 reply tokens/s.</summary>
    public static LatencyModel FastHosted { get; } = new("fast", "fast hosted", TimeSpan.FromMilliseconds(500), 10_000, 150);

    /// <summary>A slow hosted model: 300 ms to first token, 5,000 prompt tokens/s, 60 reply tokens/s.</summary>
    public static LatencyModel SlowHosted { get; } = new("slow", "slow hosted", TimeSpan.FromMilliseconds(300), 5_000, 60);

    /// <summary>A local model: 1,000 ms to first token, 3,000 prompt tokens/s, 40 reply tokens/s.</summary>
    public static LatencyModel Local { get; } = new("local", "local", TimeSpan.FromMilliseconds(1_000), 3_000, 40);

    /// <summary>The realistic settings, in the order the tables show them.</summary>
    public static IReadOnlyList<LatencyModel> Realistic { get; } = [FastHosted, SlowHosted, Local];

    public static IReadOnlyList<LatencyModel> All { get; } = [Fixed, .. Realistic];

    public bool IsFixed => double.IsPositiveInfinity(PrefillTokensPerSecond) && double.IsPositiveInfinity(DecodeTokensPerSecond);

    /// <summary>Reading a prompt of this many tokens.</summary>
    public TimeSpan Prefill(long tokens) => Rate(tokens, PrefillTokensPerSecond);

    /// <summary>Writing this many reply tokens.</summary>
    public TimeSpan Decode(long tokens) => Rate(tokens, DecodeTokensPerSecond);

    /// <summary>From the request to the first reply token: time to first token plus prefill.</summary>
    public TimeSpan BeforeFirstToken(long inputTokens) => TimeToFirstToken + Prefill(inputTokens);

    /// <summary>From the request to the reply's last token.</summary>
    public TimeSpan Call(long inputTokens, long outputTokens) => BeforeFirstToken(inputTokens) + Decode(outputTokens);

    /// <summary>The setting as one line: "fast hosted: 500 ms to first token, 10,000 tok/s prefill, 150 tok/s decode".</summary>
    public string Describe() => IsFixed
        ? Name + ": every request answered after " + TimeToFirstToken.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms, whatever its size"
        : string.Create(CultureInfo.InvariantCulture, $"{Name}: {TimeToFirstToken.TotalMilliseconds:0} ms to first token, prefill {PrefillTokensPerSecond:N0} tok/s, decode {DecodeTokensPerSecond:N0} tok/s");

    private static TimeSpan Rate(long tokens, double perSecond) =>
        double.IsPositiveInfinity(perSecond) ? TimeSpan.Zero : TimeSpan.FromSeconds(tokens / perSecond);
}
