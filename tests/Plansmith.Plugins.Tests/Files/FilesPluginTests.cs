using Microsoft.SemanticKernel;
using Plansmith.Plugins.Files;
using Plansmith.Plugins.Hosting;

namespace Plansmith.Plugins.Tests.Files;

public sealed class FilesPluginTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("plansmith-files-").FullName;

    public FilesPluginTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "docs"));
        Directory.CreateDirectory(Path.Combine(_root, ".git"));
        File.WriteAllText(Path.Combine(_root, "docs", "a.md"), "# A\nalpha");
        File.WriteAllText(Path.Combine(_root, "docs", "b.txt"), new string('b', 100));
        File.WriteAllText(Path.Combine(_root, ".git", "config"), "secret");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void AddFilesPlugin_ImportsFunctionsWithDescribedParameters()
    {
        var kernel = new Kernel();
        kernel.Plugins.AddFilesPlugin(_root);

        var list = kernel.Plugins.GetFunction("files", "list");
        var read = kernel.Plugins.GetFunction("files", "read");

        Assert.False(string.IsNullOrWhiteSpace(list.Description));
        Assert.All(list.Metadata.Parameters.Concat(read.Metadata.Parameters), p => Assert.False(string.IsNullOrWhiteSpace(p.Description), p.Name));
        Assert.True(read.Metadata.Parameters.Single(p => p.Name == "path").IsRequired);
    }

    [Fact]
    public async Task List_ThroughTheKernel_ReturnsJsonOfVisibleFiles()
    {
        var kernel = new Kernel();
        kernel.Plugins.AddFilesPlugin(_root);

        var result = await kernel.InvokeAsync("files", "list", new() { ["pattern"] = "*" });

        Assert.Equal("""[{"path":"docs/a.md","bytes":9},{"path":"docs/b.txt","bytes":100}]""", result.GetValue<string>());
    }

    [Fact]
    public async Task Read_LongFile_IsCutAndSaysSo()
    {
        var text = await new FilesPlugin(_root).ReadAsync("docs/b.txt", maxChars: 10);

        Assert.StartsWith("bbbbbbbbbb\n[… cut at 10 characters]", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../outside.txt")]
    [InlineData("docs/../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public async Task Read_PathLeavingTheRoot_IsRefused(string path)
    {
        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => new FilesPlugin(_root).ReadAsync(path));

        Assert.Contains("document folder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_LinkLeadingOutside_IsRefused()
    {
        var outside = Path.GetTempFileName();
        try
        {
            File.CreateSymbolicLink(Path.Combine(_root, "docs", "link.txt"), outside);

            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => new FilesPlugin(_root).ReadAsync("docs/link.txt"));
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public async Task Read_MissingFile_SaysHowToFindFiles()
    {
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => new FilesPlugin(_root).ReadAsync("docs/nope.md"));

        Assert.Contains("files.list", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_MissingRoot_NamesTheFolder()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => new FilesPlugin(Path.Combine(_root, "missing")));

        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }
}
