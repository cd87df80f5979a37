namespace Plansmith.Agent.Runs.Store;

/// <summary>What is known of a run when it starts. Never holds a key.</summary>
/// <param name="Goal">The goal.</param>
/// <param name="Provider">The model in use, e.g. "gpt-4o-mini at https://…" (no key).</param>
/// <param name="OptionsJson">The run's options as JSON.</param>
/// <param name="PromptsFingerprint">Each prompt in use with a hash of its template (<c>name=hash;…</c>).</param>
/// <param name="ToolsFingerprint">A hash of the tools (names and parameters).</param>
/// <param name="ToolNames">The tools, to name differences on resume.</param>
public sealed record RunInfo(string Goal, string Provider, string OptionsJson, string PromptsFingerprint, string ToolsFingerprint, IReadOnlyList<string> ToolNames);
