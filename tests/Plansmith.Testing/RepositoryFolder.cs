namespace Plansmith.Testing;

/// <summary>The repository's root folder, for tests that read its docs and prompts as a user would.</summary>
public static class RepositoryFolder
{
    /// <summary>The folder holding Agent.sln, above the test's output folder.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agent.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Agent.sln not found above the test folder.");
        }
    }
}
