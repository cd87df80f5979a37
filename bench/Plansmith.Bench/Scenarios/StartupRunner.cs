using System.Diagnostics;
using System.Globalization;

namespace Plansmith.Bench.Scenarios;

/// <summary>CLI start-up to first output: `plansmith --version` and `plansmith plan --offline "…"`. Run: … -- startup</summary>
internal static class StartupRunner
{
    public static async Task<int> RunAsync()
    {
        var cli = Path.Combine(AppContext.BaseDirectory.Replace(Path.Combine("bench", "Plansmith.Bench"), Path.Combine("src", "Cli"), StringComparison.Ordinal), "plansmith.dll");
        if (!File.Exists(cli))
        {
            Console.Error.WriteLine($"Build the CLI first (dotnet build -c Release src/Cli): {cli} not found.");
            return 2;
        }

        Console.WriteLine("| command | median to first output | median to exit | runs |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var args in new[] { new[] { "--version" }, new[] { "plan", "--offline", "Compare Flask and FastAPI routing" } })
        {
            var first = new List<double>();
            var exit = new List<double>();
            for (var i = 0; i < 8; i++)
            {
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
                start.ArgumentList.Add(cli);
                foreach (var a in args)
                {
                    start.ArgumentList.Add(a);
                }

                start.Environment.Remove("OPENAI_API_KEY");
                var clock = Stopwatch.StartNew();
                using var process = Process.Start(start)!;
                var firstChar = new char[1];
                await process.StandardOutput.ReadAsync(firstChar);
                var toFirst = clock.Elapsed.TotalMilliseconds;
                await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                if (i > 0)
                {
                    first.Add(toFirst);
                    exit.Add(clock.Elapsed.TotalMilliseconds);
                }
            }

            first.Sort();
            exit.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| plansmith {string.Join(' ', args)} | {first[first.Count / 2]:0} ms | {exit[exit.Count / 2]:0} ms | {first.Count} (after 1 warm-up) |"));
        }

        return 0;
    }
}
