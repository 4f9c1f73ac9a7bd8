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

    private static void Report(string name, Result r) =>
        Console.WriteLine(Invariant($"{name,-30} {r.Rate,12:N0} msgs/s  {r.BytesPerMessage,8:N0} B allocated/message  ({r.Count:N0} messages)"));

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
            publish: () => publisher.PublishAsync("bench.events", sample).AsTask(),
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
                return Task.CompletedTask;
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
                publish: () => publisher.PublishAsync(subject, sample).AsTask(),
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
    /// window.
    /// </summary>
    private static async Task<Result> MeasureAsync(int workers, Func<Task> publish, Func<Action, CancellationToken, Task> subscribe)
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
                        await Task.Yield();
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
        var clock = Stopwatch.StartNew();
        await Task.Delay(Window);
        var count = Volatile.Read(ref handled) - startCount;
        var bytes = GC.GetTotalAllocatedBytes(precise: false) - startBytes;
        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(publishers);
        await subscription;
        return new Result(count / elapsed.TotalSeconds, count == 0 ? 0 : (double)bytes / count, count);
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
    /// consumer's subject. Returns the rate with 1,000 over the rate with one, for each.
    /// </summary>
    public static async Task<(double Streams, double Consumers)> TopologyAsync()
    {
        int[] sizes = [1, 10, 100, 1000];
        await using (var warm = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false }))
        {
            // Tiered compilation first, on a topology of its own, so the one-stream row is not measured on colder code.
            await warm.CreateOrUpdateStreamAsync(new StreamConfig("WARM", ["warm.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
            await warm.CreateOrUpdateConsumerAsync("WARM", new ConsumerConfig("w") { FilterSubject = "warm.a", AckPolicy = ConsumerConfigAckPolicy.Explicit });
            await PublishRateAsync(warm, ["warm.a", "warm.b"]);
        }

        var streams = new double[sizes.Length];
        var consumers = new double[sizes.Length];
        for (var i = 0; i < sizes.Length; i++)
        {
            var n = sizes[i];
            await using (var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false }))
            {
                for (var k = 0; k < n; k++)
                {
                    await engine.CreateOrUpdateStreamAsync(new StreamConfig($"TOPO{k}", [$"topo.{k}.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = Math.Max(100, 100_000 / n) });
                }

                streams[i] = await PublishRateAsync(engine, [.. Enumerable.Range(0, n).Select(k => $"topo.{k}.events")]);
            }

            await using (var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false }))
            {
                await engine.CreateOrUpdateStreamAsync(new StreamConfig("TOPO", ["topo.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
                for (var k = 0; k < n; k++)
                {
                    await engine.CreateOrUpdateConsumerAsync("TOPO", new ConsumerConfig($"c{k}") { FilterSubject = $"topo.{k}", AckPolicy = ConsumerConfigAckPolicy.Explicit });
                }

                consumers[i] = await PublishRateAsync(engine, [.. Enumerable.Range(0, n).Select(k => $"topo.{k}")]);
            }

            Console.WriteLine(Invariant($"raw publish, {n,5:N0} streams: {streams[i],10:N0} msgs/s ({streams[i] / streams[0]:0.00}x);  one stream, {n,5:N0} filtered consumers: {consumers[i],10:N0} msgs/s ({consumers[i] / consumers[0]:0.00}x)"));
        }

        return (streams[^1] / streams[0], consumers[^1] / consumers[0]);
    }

    /// <summary>Publishes to <paramref name="subjects"/> in turn for two seconds of warm-up, then counts over two seconds.</summary>
    private static async Task<double> PublishRateAsync(InMemoryJetStream engine, string[] subjects)
    {
        var payload = new byte[128];
        var next = 0;
        await RunAsync(TimeSpan.FromSeconds(2));
        return await RunAsync(TimeSpan.FromSeconds(2));

        async Task<double> RunAsync(TimeSpan window)
        {
            var watch = Stopwatch.StartNew();
            long count = 0;
            while (watch.Elapsed < window)
            {
                for (var j = 0; j < 1024; j++)
                {
                    await engine.PublishAsync(subjects[next], payload);
                    next = next + 1 == subjects.Length ? 0 : next + 1;
                }

                count += 1024;
            }

            return count / watch.Elapsed.TotalSeconds;
        }
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

    private readonly record struct Result(double Rate, double BytesPerMessage, long Count);
}
