using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "retrieval")
{
    return await Plansmith.Bench.RetrievalEval.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Plansmith.Bench.SchedulerBenchmarks).Assembly).Run(args);
return 0;
