namespace Plansmith.Agent.Planning;

/// <summary>One prompt function in effect.</summary>
/// <param name="Name">The function name, e.g. <c>plan_create</c>.</param>
/// <param name="Source">The folder it was loaded from, or <c>built-in</c>.</param>
/// <param name="Description">The description from its <c>config.json</c>.</param>
/// <param name="Inputs">The inputs it declares.</param>
/// <param name="Template">The template text.</param>
public sealed record PromptInfo(string Name, string Source, string Description, IReadOnlyList<string> Inputs, string Template);

/// <summary>The outcome of a reload of the prompt folder.</summary>
/// <param name="Succeeded">Whether the new files are in use.</param>
/// <param name="Problems">Why they are not, when they are not.</param>
public sealed record PromptReloadResult(bool Succeeded, IReadOnlyList<string> Problems);
