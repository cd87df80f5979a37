namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>route</c>.</summary>
/// <param name="Request">The user's request.</param>
/// <param name="Tools">The tools a plan could use.</param>
public sealed record RouteInputs(string Request, string Tools) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.Route;
}
