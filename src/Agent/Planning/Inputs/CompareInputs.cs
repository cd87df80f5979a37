namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>compare</c>.</summary>
/// <param name="Items">The items to compare, with what is known of each.</param>
/// <param name="Criteria">What to compare them on.</param>
/// <param name="Format">The layout: <see cref="Table"/> or <see cref="Sections"/>.</param>
public sealed record CompareInputs(string Items, string Criteria, string Format) : PromptInputs
{
    /// <summary>A table with one row per item and one column per criterion.</summary>
    public const string Table = "table";

    /// <summary>A short section per criterion.</summary>
    public const string Sections = "sections";

    /// <inheritdoc />
    public override string Prompt => PromptNames.Compare;
}
