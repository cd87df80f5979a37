using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "scenarios")
{
    return await Plansmith.Bench.Scenarios.ScenarioRunner.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "plantokens")
{
    return Plansmith.Bench.Scenarios.PlanTokensRunner.Run();
}

if (args.Length > 0 && args[0] == "scale")
{
    return await Plansmith.Bench.Scenarios.ScaleRunner.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "cpu")
{
    return await Plansmith.Bench.Scenarios.CpuCostRunner.RunAsync();
}

if (args.Length > 0 && args[0] == "startup")
{
    return await Plansmith.Bench.Scenarios.StartupRunner.RunAsync();
}

if (args.Length > 0 && args[0] == "retrieval")
{
    return await Plansmith.Bench.RetrievalEval.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Plansmith.Bench.SchedulerBenchmarks).Assembly).Run(args);
return 0;
