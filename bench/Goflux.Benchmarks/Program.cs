using BenchmarkDotNet.Running;
using Goflux.Benchmarks;

// `ratio`: one quick run against a real server comparing the adapter with raw NATS.Net.
// Anything else goes to BenchmarkDotNet (e.g. `--filter *Pipeline*`).
if (args.Length > 0 && args[0] == "ratio")
{
    return await RatioRunner.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
