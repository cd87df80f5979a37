namespace Plansmith.Agent.Planning;

/// <summary>
/// Writes the answer from the step results. The agent streams the first attempt, checks that the
/// answer came back whole, caps its length and asks again when it did not; a synthesizer only writes.
/// </summary>
public interface ISynthesizer
{
    /// <summary>Writes the answer as it is produced, piece by piece.</summary>
    IAsyncEnumerable<string> WriteStreamingAsync(RunContext run, AnswerRequest request, CancellationToken cancellationToken = default);

    /// <summary>Writes the whole answer at once.</summary>
    Task<string> WriteAsync(RunContext run, AnswerRequest request, CancellationToken cancellationToken = default);
}
