namespace Plansmith.Plugins.Files;

/// <summary>Limits of the files plugin.</summary>
public sealed class FilesPluginOptions
{
    /// <summary>The most files one listing returns. Default 500.</summary>
    public int MaxListed { get; set; } = 500;

    /// <summary>The most characters one read returns, whatever the caller asks. Default 200,000.</summary>
    public int MaxReadChars { get; set; } = 200_000;
}
