namespace Plansmith.Plugins.Files;

/// <summary>Limits of the files plugin. Every limit is finite; the constructor rejects values below 1.</summary>
public sealed class FilesPluginOptions
{
    /// <summary>The most files one listing returns. Default 500.</summary>
    public int MaxListed { get; set; } = 500;

    /// <summary>
    /// The most folder entries one listing examines, matched or not, so that a listing over a huge
    /// tree ends quickly. Default 20,000.
    /// </summary>
    public int MaxScanned { get; set; } = 20_000;

    /// <summary>
    /// The most characters one read returns, whatever the caller asks. Default 200,000. Bytes read
    /// from the file are bounded by it too (at most four per character, plus one buffer).
    /// </summary>
    public int MaxReadChars { get; set; } = 200_000;
}
