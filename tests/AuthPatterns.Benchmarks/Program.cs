using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AuthPatterns.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point of the benchmark suites.</summary>
public partial class Program;
