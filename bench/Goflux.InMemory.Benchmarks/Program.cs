using BenchmarkDotNet.Running;
using Goflux.InMemory.Benchmarks;

// `ratio`: one quick run measuring the in-memory engine end to end, a bare Channel<T>, the JetStream adapter (when a
// server is available), virtual-time redelivery and retained memory. Anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "ratio")
{
    return await QuickRunner.RunAsync();
}

// `topology`: only the publish rate with 1 to 1,000 streams and filtered consumers.
if (args.Length > 0 && args[0] == "topology")
{
    await QuickRunner.TopologyAsync();
    return 0;
}

// `endtoend [--alloc]`: only the in-memory end-to-end measurement, for a profiler to watch; with --alloc, the bytes
// per message by type, sampled from the runtime's allocation events.
if (args.Length > 0 && args[0] == "endtoend")
{
    await QuickRunner.EndToEndOnlyAsync(args.Contains("--alloc"));
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
