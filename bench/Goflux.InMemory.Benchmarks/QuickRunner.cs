using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Goflux.Benchmarks.Shared;
using Goflux.JetStream;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Benchmarks;

/// <summary>
/// One quick run, everything measured in the same process under the same load: the in-memory engine end to end
/// (publish → <see cref="InMemorySubscriber{T}"/> handler → auto-ack, 128-byte JSON, telemetry on, no listener), a bare
/// <see cref="Channel{T}"/> round trip, the JetStream adapter end to end when a server is available, the engine alone
/// (raw publish, fetch, ack), 100,000 naks with
/// delays spread over 10 minutes of virtual time, and the memory one retained message costs.
/// </summary>
internal static class QuickRunner
{
    private const int MaxOutstanding = 20_000;
    private static AllocationProfile? _profile;
    // Long enough for tiered compilation (with dynamic PGO) to settle: with 0.5 s the window measured mostly tier-0
    // code and the end-to-end rate came out 5-8 times below the steady state.
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync()
    {
        var total = Stopwatch.StartNew();
        Console.WriteLine($"{Environment.ProcessorCount} cores; load average {LoadAverage()}; payload 128 bytes of JSON; window {Window.TotalSeconds:0} s after {Warmup.TotalSeconds:0.0} s warm-up");
        Console.WriteLine();

        var inMemory = await InMemoryEndToEndAsync();
        Report("in-memory end to end", inMemory);
        var channel = await ChannelRoundTripAsync();
        Report("Channel<T> round trip", channel);
        Result? jetStream = null;
        if (LocalServer.Available)
        {
            jetStream = await JetStreamEndToEndAsync();
            Report("JetStream adapter end to end", jetStream.Value);
        }
        else
        {
            Console.WriteLine("JetStream adapter end to end: skipped (no server: set NATS_URL or run scripts/provision-nats.sh)");
        }

        // NATS.Net's own ConsumeAsync + AckAsync, the same code over the engine's in-process client and over a server.
        var natsNetOnEngine = await NatsNetConsume.OnEngineAsync();
        Console.WriteLine(Invariant($"{"NATS.Net consume+ack, engine",-30} {natsNetOnEngine,12:N0} msgs/s"));
        double? natsNetOnServer = null;
        if (LocalServer.Available)
        {
            natsNetOnServer = await NatsNetConsume.OnServerAsync();
            Console.WriteLine(Invariant($"{"NATS.Net consume+ack, server",-30} {natsNetOnServer,12:N0} msgs/s"));
        }

        Console.WriteLine();
        var (advanceTime, acked) = await VirtualTimeNaksAsync(100_000, TimeSpan.FromMinutes(10));
        Console.WriteLine(Invariant($"100,000 naks spread over 10 min of virtual time: AdvanceAsync took {advanceTime.TotalSeconds:0.00} s wall; {acked:N0} redeliveries acked"));
        var (engineRate, engineBytes) = await EngineOnlyAsync(200_000);
        Console.WriteLine(Invariant($"engine alone (raw publish, fetch 1,000, ack; no pipeline): {engineRate:N0} msgs/s, {engineBytes:N0} B allocated/message"));
        var perMessage = await RetainedMemoryAsync(1_000_000);
        Console.WriteLine(Invariant($"1,000,000 retained 128-byte messages: {perMessage:N0} bytes of managed heap per message"));
        Console.WriteLine();
        var topology = await TopologyAsync();

        Console.WriteLine();
        var goals = new List<(string, bool)>
        {
            (Invariant($"in-memory >= 1,000,000 msgs/s: {inMemory.Rate:N0}"), inMemory.Rate >= 1_000_000),
            (Invariant($"in-memory <= 600 B allocated/message: {inMemory.BytesPerMessage:N0}"), inMemory.BytesPerMessage <= 600),
            (Invariant($"retained 128-byte message <= 200 B of managed heap: {perMessage:N0}"), perMessage <= 200),
        };
        goals.Add((Invariant($"publish with 1,000 streams >= 0.5x with one: {topology.Streams:0.00}x"), topology.Streams >= 0.5));
        goals.Add((Invariant($"publish with 1,000 filtered consumers >= 0.5x with one: {topology.Consumers:0.00}x"), topology.Consumers >= 0.5));
        if (jetStream is { } js)
        {
            goals.Add((Invariant($"in-memory >= 10x the JetStream adapter: {inMemory.Rate / js.Rate:0.0}x"), inMemory.Rate >= 10 * js.Rate));
        }

        if (natsNetOnServer is { } onServer)
        {
            goals.Add((Invariant($"NATS.Net consume+ack on the engine's client >= 10x on a server: {natsNetOnEngine / onServer:0.0}x"), natsNetOnEngine >= 10 * onServer));
        }

        Console.WriteLine(Invariant($"in-memory / Channel<T>: {inMemory.Rate / channel.Rate:0.000}"));
        foreach (var (text, met) in goals)
        {
            Console.WriteLine($"goal {text} -> {(met ? "met" : "MISSED")}");
        }

        Console.WriteLine(Invariant($"total {total.Elapsed.TotalSeconds:0.0} s; load average {LoadAverage()}"));
        return 0;
    }

    /// <summary>Only the in-memory end-to-end measurement (for a profiler).</summary>
    public static async Task EndToEndOnlyAsync(bool allocations)
    {
        using var profile = allocations ? new AllocationProfile() : null;
        _profile = profile;
        var result = await InMemoryEndToEndAsync();
        _profile = null;
        Report("in-memory end to end", result);
        profile?.Print(result.Count);
    }


    private static void Report(string name, Result r) =>
        Console.WriteLine(Invariant($"{name,-30} {r.Rate,12:N0} msgs/s  {r.BytesPerMessage,8:N0} B allocated/message  {r.CpuMicrosecondsPerMessage,6:0.00} CPU µs/message  GC paused {r.GcPaused,4:P0}  ({r.Count:N0} messages)"));

    private static async Task<Result> InMemoryEndToEndAsync()
    {
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("BENCH", ["bench.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
        var consumer = await engine.CreateOrUpdateConsumerAsync("BENCH", new ConsumerConfig("bench") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        await using var publisher = new InMemoryPublisher<Event>(engine, BenchJsonContext.Codec);
        await using var subscriber = new InMemorySubscriber<Event>(consumer, BenchJsonContext.Codec);
        var sample = Event.Sample;
        return await MeasureAsync(
            workers: 1,
            publish: async () => await publisher.PublishAsync("bench.events", sample),
            subscribe: (count, ct) => subscriber.SubscribeAsync(
                "bench.events",
                (message, _) =>
                {
                    if (message.Payload is null)
                    {
                        throw new InvalidOperationException("no payload");
                    }

                    count();
                    return ValueTask.CompletedTask;
                },
                ct));
    }

    private static async Task<Result> ChannelRoundTripAsync()
    {
        var channel = Channel.CreateUnbounded<Event>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var sample = Event.Sample;
        return await MeasureAsync(
            workers: 1,
            publish: () =>
            {
                channel.Writer.TryWrite(sample);
                return ValueTask.CompletedTask;
            },
            subscribe: async (count, ct) =>
            {
                try
                {
                    while (await channel.Reader.WaitToReadAsync(ct))
                    {
                        while (channel.Reader.TryRead(out var e))
                        {
                            _ = e ?? throw new InvalidOperationException("no payload");
                            count();
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
    }

    private static async Task<Result> JetStreamEndToEndAsync()
    {
        await using var server = await LocalServer.StartAsync();
        await using var connection = new NatsConnection(new NatsOpts { Url = server.Url, Name = "goflux-inmemory-bench" });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);
        var id = Guid.NewGuid().ToString("N")[..8];
        var stream = "BENCHE2E" + id;
        var subject = $"bench.{id}.events";
        var backend = new JetStreamBackend(js);
        await backend.CreateOrUpdateStreamAsync(new StreamConfig(stream, [subject]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
        await backend.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("bench") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        await using var publisher = backend.CreatePublisher(BenchJsonContext.Codec);
        await using var subscriber = await backend.CreateSubscriberAsync(stream, "bench", BenchJsonContext.Codec);
        var sample = Event.Sample;
        try
        {
            return await MeasureAsync(
                workers: 256,
                publish: async () => await publisher.PublishAsync(subject, sample),
                subscribe: (count, ct) => subscriber.SubscribeAsync(
                    subject,
                    (message, _) =>
                    {
                        if (message.Payload is null)
                        {
                            throw new InvalidOperationException("no payload");
                        }

                        count();
                        return ValueTask.CompletedTask;
                    },
                    ct));
        }
        finally
        {
            await js.DeleteStreamAsync(stream);
        }
    }

    /// <summary>
    /// Publishes from <paramref name="workers"/> loops (never more than <see cref="MaxOutstanding"/> ahead of the
    /// handler) while one subscription counts; after the warm-up, counts handled messages and allocated bytes over the
    /// window. The publish is a <see cref="ValueTask"/> so that the loop itself allocates nothing per message when it
    /// completes synchronously (a <c>Task</c> per publish would be counted as the transport's).
    /// </summary>
    private static async Task<Result> MeasureAsync(int workers, Func<ValueTask> publish, Func<Action, CancellationToken, Task> subscribe)
    {
        long published = 0;
        long handled = 0;
        using var stop = new CancellationTokenSource();
        var subscription = Task.Run(() => subscribe(() => Interlocked.Increment(ref handled), stop.Token));
        var publishers = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            publishers[w] = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    if (Volatile.Read(ref published) - Volatile.Read(ref handled) >= MaxOutstanding)
                    {
                        // Far enough ahead: wait a millisecond (the handler has tens of milliseconds of work queued)
                        // rather than spin, so that a fast publisher does not take the handler's core on a small
                        // machine and the rate measured is the handler's.
                        await Task.Delay(1);
                        continue;
                    }

                    Interlocked.Increment(ref published);
                    await publish();
                }
            });
        }

        await Task.Delay(Warmup);
        var startCount = Volatile.Read(ref handled);
        var startBytes = GC.GetTotalAllocatedBytes(precise: false);
        var startCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var startPause = GC.GetTotalPauseDuration();
        var clock = Stopwatch.StartNew();
        _profile?.Start();
        await Task.Delay(Window);
        _profile?.Stop();
        var count = Volatile.Read(ref handled) - startCount;
        var bytes = GC.GetTotalAllocatedBytes(precise: false) - startBytes;
        var elapsed = clock.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - startCpu;
        var paused = GC.GetTotalPauseDuration() - startPause;
        await stop.CancelAsync();
        await Task.WhenAll(publishers);
        await subscription;
        return new Result(count / elapsed.TotalSeconds, count == 0 ? 0 : (double)bytes / count, count, count == 0 ? 0 : cpu.TotalMicroseconds / count, paused / elapsed);
    }

    private static async Task<(TimeSpan Elapsed, int Acked)> VirtualTimeNaksAsync(int count, TimeSpan spread)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { TimeProvider = clock, RecordEvents = false });
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("NAKS", ["naks.>"]) { Storage = StreamConfigStorage.Memory });
        var consumer = await engine.CreateOrUpdateConsumerAsync("NAKS", new ConsumerConfig("naks")
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromMinutes(30),
            MaxAckPending = -1,
        });
        await using var publisher = new InMemoryPublisher<Event>(engine, BenchJsonContext.Codec);
        await using var subscriber = new InMemorySubscriber<Event>(consumer, BenchJsonContext.Codec, SubscriberOptions.Default with { ManualAck = true });
        var acked = 0;
        using var stop = new CancellationTokenSource();
        var subscription = subscriber.SubscribeAsync(
            "naks.events",
            async (message, ct) =>
            {
                var delivery = message.Delivery!.Value;
                if (delivery.NumDelivered == 1)
                {
                    // Spread the delays evenly over the window, one distinct deadline per message.
                    var delay = spread * ((double)delivery.StreamSequence / count);
                    await message.NakAsync(delay, ct);
                }
                else
                {
                    await message.AckAsync(ct);
                    Interlocked.Increment(ref acked);
                }
            },
            stop.Token);

        var sample = Event.Sample;
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync("naks.events", sample);
        }

        await engine.WaitForIdleAsync();
        var wall = Stopwatch.StartNew();
        await engine.AdvanceAsync(spread + TimeSpan.FromSeconds(1));
        var elapsed = wall.Elapsed;
        await stop.CancelAsync();
        await subscription;
        return (elapsed, Volatile.Read(ref acked));
    }

    /// <summary>The engine's own share of the end-to-end cost: raw bytes in, fetched in batches, acked; no encoding,
    /// no telemetry, no subscriber loop.</summary>
    private static async Task<(double Rate, double BytesPerMessage)> EngineOnlyAsync(int count)
    {
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("ENGINE", ["engine.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
        var consumer = await engine.CreateOrUpdateConsumerAsync("ENGINE", new ConsumerConfig("engine") { AckPolicy = ConsumerConfigAckPolicy.Explicit, MaxAckPending = -1 });
        var payload = new byte[128];
        await RoundAsync(10_000); // warm-up
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        await RoundAsync(count);
        watch.Stop();
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
        return (count / watch.Elapsed.TotalSeconds, (double)bytes / count);

        async Task RoundAsync(int n)
        {
            for (var i = 0; i < n; i += 1000)
            {
                for (var j = 0; j < 1000; j++)
                {
                    await engine.PublishAsync("engine.events", payload);
                }

                foreach (var d in await consumer.FetchAsync(1000))
                {
                    await d.AckAsync();
                }
            }
        }
    }

    /// <summary>
    /// The raw engine publish (128 bytes, nothing fetched) with 1, 10, 100 and 1,000 streams, each publish to the next
    /// stream's subject; then one stream with as many consumers, each filtered on one subject, each publish to the next
    /// consumer's subject. Every topology is built and warmed up first, then measured in rounds that visit each in turn,
    /// so each round's ratio to the one-stream (one-consumer) rate is taken under the same load; the median of those
    /// ratios is reported. Returns the ratios at 1,000, for streams and for consumers.
    /// </summary>
    public static async Task<(double Streams, double Consumers)> TopologyAsync()
    {
        int[] sizes = [1, 10, 100, 1000];
        const int rounds = 7;
        var topologies = new List<(InMemoryJetStream Engine, string[] Subjects)>();
        try
        {
            foreach (var n in sizes)
            {
                var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
                topologies.Add((engine, [.. Enumerable.Range(0, n).Select(k => $"topo.{k}.events")]));
                for (var k = 0; k < n; k++)
                {
                    await engine.CreateOrUpdateStreamAsync(new StreamConfig($"TOPO{k}", [$"topo.{k}.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = Math.Max(100, 100_000 / n) });
                }
            }

            foreach (var n in sizes)
            {
                var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
                topologies.Add((engine, [.. Enumerable.Range(0, n).Select(k => $"topo.{k}")]));
                await engine.CreateOrUpdateStreamAsync(new StreamConfig("TOPO", ["topo.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
                for (var k = 0; k < n; k++)
                {
                    await engine.CreateOrUpdateConsumerAsync("TOPO", new ConsumerConfig($"c{k}") { FilterSubject = $"topo.{k}", AckPolicy = ConsumerConfigAckPolicy.Explicit });
                }
            }

            var cursors = new int[topologies.Count];
            for (var t = 0; t < topologies.Count; t++)
            {
                PublishRate(topologies[t].Engine, topologies[t].Subjects, ref cursors[t], TimeSpan.FromSeconds(1.5)); // warm-up, fills the store
            }

            var rates = new double[topologies.Count][];
            for (var t = 0; t < topologies.Count; t++)
            {
                rates[t] = new double[rounds];
            }

            for (var r = 0; r < rounds; r++)
            {
                for (var t = 0; t < topologies.Count; t++)
                {
                    rates[t][r] = PublishRate(topologies[t].Engine, topologies[t].Subjects, ref cursors[t], TimeSpan.FromSeconds(0.6));
                }
            }

            var streams = sizes.Select((_, i) => (Rate: Median(rates[i]), Ratio: Median(rates[i].Select((x, r) => x / rates[0][r])))).ToArray();
            var consumers = sizes.Select((_, i) => (Rate: Median(rates[sizes.Length + i]), Ratio: Median(rates[sizes.Length + i].Select((x, r) => x / rates[sizes.Length][r])))).ToArray();
            for (var i = 0; i < sizes.Length; i++)
            {
                Console.WriteLine(Invariant($"raw publish, {sizes[i],5:N0} streams: {streams[i].Rate,10:N0} msgs/s ({streams[i].Ratio:0.00}x);  one stream, {sizes[i],5:N0} filtered consumers: {consumers[i].Rate,10:N0} msgs/s ({consumers[i].Ratio:0.00}x)"));
            }

            return (streams[^1].Ratio, consumers[^1].Ratio);
        }
        finally
        {
            foreach (var (engine, _) in topologies)
            {
                await engine.DisposeAsync();
            }
        }
    }

    private static bool CompletedSynchronously(ValueTask<PublishResult> publish) => publish.IsCompletedSuccessfully;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Publishes to <paramref name="subjects"/> in turn, from <paramref name="next"/> on, for
    /// <paramref name="window"/>; returns the rate.</summary>
    private static double PublishRate(InMemoryJetStream engine, string[] subjects, ref int next, TimeSpan window)
    {
        var payload = new byte[128];
        var watch = Stopwatch.StartNew();
        long count = 0;
        var at = next;
        while (watch.Elapsed < window)
        {
            for (var j = 0; j < 1024; j++)
            {
                // The raw publish completes synchronously (a fault throws from the call).
                if (!CompletedSynchronously(engine.PublishAsync(subjects[at], payload)))
                {
                    throw new InvalidOperationException("the raw publish did not complete synchronously");
                }

                at = at + 1 == subjects.Length ? 0 : at + 1;
            }

            count += 1024;
        }

        next = at;
        return count / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> RetainedMemoryAsync(int count)
    {
        var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("RETAIN", ["retain.>"]) { Storage = StreamConfigStorage.Memory });
        var publisher = new InMemoryPublisher<Event>(engine, BenchJsonContext.Codec);
        var sample = Event.Sample;
        await publisher.PublishAsync("retain.events", sample); // the stream's first message: allocations that are not per message
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 1; i < count; i++)
        {
            await publisher.PublishAsync("retain.events", sample);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        var info = await engine.GetStreamInfoAsync("RETAIN");
        if (info.State.Messages != count)
        {
            throw new InvalidOperationException($"expected {count} messages, found {info.State.Messages}");
        }

        GC.KeepAlive(engine);
        return (double)(after - before) / (count - 1);
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>One measurement: <paramref name="GcPaused"/> is the share of the window the runtime spent with every
    /// thread paused for a collection.</summary>
    private readonly record struct Result(double Rate, double BytesPerMessage, long Count, double CpuMicrosecondsPerMessage, double GcPaused);
}
