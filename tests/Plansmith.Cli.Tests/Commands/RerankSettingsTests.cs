namespace Plansmith.Cli.Tests.Commands;

/// <summary>The tool ships without the reranker: turning rerank on without installing it says what to do.</summary>
public sealed class RerankSettingsTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-rerank-cli-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Run_RerankOnWithoutReranker_ExitsTwoNamingThePackageAndTheSetting()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{\"Plansmith\": {\"Rerank\": true}}");

        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--no-store", "Compare apples and pears");

        Assert.Equal(2, exit);
        Assert.Contains("Plansmith.Plugins.Rerank", error, StringComparison.Ordinal);
        Assert.Contains("Plansmith:RerankerPath", error, StringComparison.Ordinal);
        Assert.Contains("dotnet publish src/Rerank", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RerankerPathWithoutTheAssembly_ExitsTwoNamingTheFolder()
    {
        var folder = Path.Combine(_work, "rerank");
        Directory.CreateDirectory(folder);
        var environment = new Dictionary<string, string> { ["Plansmith__Rerank"] = "true", ["Plansmith__RerankerPath"] = folder };

        var (exit, _, error) = await CliProcess.RunAsync(_work, null, environment, null, "run", "--offline", "--no-store", "Compare apples and pears");

        Assert.Equal(2, exit);
        Assert.Contains(folder, error, StringComparison.Ordinal);
        Assert.Contains("Plansmith.Plugins.Rerank.dll", error, StringComparison.Ordinal);
    }
}
