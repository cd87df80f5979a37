using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Cli.Rendering;

namespace Plansmith.Cli.Setup;

/// <summary>
/// Asks the person at the console: run the plan, reject it, or edit it (drop a step, change a
/// step's description) first.
/// </summary>
internal sealed class ConsoleApprover : IPlanApprover
{
    private readonly TextReader _input;
    private readonly TextWriter _output;

    public ConsoleApprover(TextReader input, TextWriter output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>The run's display: paused while the question is asked, so that it does not draw over it.</summary>
    public IAgentProgress? Progress { get; set; }

    public async ValueTask<PlanApproval> ApproveAsync(Plan plan, CancellationToken cancellationToken = default)
    {
        using var paused = Progress?.Pause();
        var current = plan;
        var edited = false;

        // Once on screen: a display that printed this plan already leaves it above the question.
        if (Progress is null || !await Progress.ShowsForApprovalAsync(plan, cancellationToken))
        {
            await _output.WriteLineAsync(PlanRendering.Tree(current));
        }

        while (true)
        {
            await _output.WriteLineAsync(edited
                ? "Edit: 'drop ID', 'describe ID new text', 'run' when done, 'cancel' to reject."
                : "Run this plan? [y]es / [n]o / [e]dit");
            var line = await ConsoleInput.ReadLineAsync(_input, cancellationToken);
            if (line is null)
            {
                return PlanApproval.Reject("no answer (end of input)");
            }

            var answer = line.Trim();
            var lower = answer.ToLowerInvariant();
            if (!edited && lower is "y" or "yes" or "")
            {
                return PlanApproval.Approve();
            }

            if (lower is "n" or "no" or "cancel")
            {
                return PlanApproval.Reject("rejected at the console");
            }

            if (lower is "e" or "edit")
            {
                edited = true;
                continue;
            }

            if (edited && lower is "run" or "y" or "yes" or "done")
            {
                return PlanApproval.Edit(current);
            }

            var parts = answer.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[0].Equals("drop", StringComparison.OrdinalIgnoreCase) && current.FindStep(parts[1]) is not null)
            {
                var id = parts[1];
                current = current with
                {
                    Steps = [.. current.Steps.Where(s => s.Id != id).Select(s => s with { Dependencies = [.. s.Dependencies.Where(d => d != id)] })],
                };
                edited = true;
                await _output.WriteLineAsync(PlanRendering.Tree(current));
            }
            else if (parts.Length == 3 && parts[0].Equals("describe", StringComparison.OrdinalIgnoreCase) && current.FindStep(parts[1]) is not null)
            {
                var (id, text) = (parts[1], parts[2]);
                current = current with { Steps = [.. current.Steps.Select(s => s.Id == id ? s with { Description = text } : s)] };
                edited = true;
                await _output.WriteLineAsync(PlanRendering.Tree(current));
            }
            else
            {
                await _output.WriteLineAsync($"Not understood: '{answer}'.");
            }
        }
    }
}
