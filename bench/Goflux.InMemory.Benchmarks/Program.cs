using BenchmarkDotNet.Running;
using Goflux.InMemory.Benchmarks;

// `ratio`: one quick run measuring the in-memory engine end to end, a bare Channel<T>, the JetStream adapter (when a
// server is available), virtual-time redelivery and retained memory. Anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "ratio")
{
    return await QuickRunner.RunAsync();
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
