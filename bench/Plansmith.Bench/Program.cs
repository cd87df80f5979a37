using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Plansmith.Bench.SchedulerBenchmarks).Assembly).Run(args);
