using System.Diagnostics;
using System.Globalization;
using Goflux.Benchmarks.Shared;
using Goflux.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.Serializers.Json;

namespace Goflux.Benchmarks;

/// <summary>
/// Measures, in one run against one server, the goflux JetStream adapter against raw NATS.Net doing the same work
/// (the same JSON payload of 128 bytes, serialized with the same source-generated metadata), in alternating rounds,
/// and reports the medians and their ratios.
/// </summary>
/// <remarks>
/// Each round measures raw and goflux back to back (alternating which goes first), so the per-round ratio compares two
/// measurements taken under the same load; the verdict uses the median of those paired ratios. On a busy machine the
/// absolute rates move a lot between rounds; the paired ratio much less. The client's CPU time per message (this
/// process, all threads) is reported alongside: it shows what each side costs independently of the server.
/// </remarks>
internal static class RatioRunner
{
    private static readonly int WarmupRounds = 2;
    private static readonly int InFlight = 256;
    private static readonly int ConsumeCount = 40_000;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(0.5);

    // The noisiest mode (many publishers competing for two cores with the server) gets the most rounds. The goals: the
    // adapter's publish within 2% of raw NATS.Net, its subscriber within 5%.
    private static readonly (string Name, double Goal, int Rounds)[] Modes =
    [
        ("publish, await each ack", 0.98, 7),
        ($"publish, {InFlight} in flight", 0.98, 15),
        ("subscribe, auto-ack", 0.95, 9),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var total = Stopwatch.StartNew();
        await using var server = await LocalServer.StartAsync();
        await using var connection = new NatsConnection(new NatsOpts { Url = server.Url, Name = "goflux-bench" });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);
        var id = Guid.NewGuid().ToString("N")[..8];
        var pubSubject = $"bench.{id}.pub";
        var subSubject = $"bench.{id}.sub";
        var subStream = "BENCHSUB" + id;
        var backend = new JetStreamBackend(js);
        await backend.CreateOrUpdateStreamAsync(new StreamConfig("BENCHPUB" + id, [pubSubject]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
        await backend.CreateOrUpdateStreamAsync(new StreamConfig(subStream, [subSubject]) { Storage = StreamConfigStorage.Memory });

        var serializer = new NatsJsonContextSerializer<Event>(BenchJsonContext.Default);
        var sample = Event.Sample;
        await using var publisher = new JetStreamPublisher<Event>(js, BenchJsonContext.Codec);

        Console.WriteLine($"server {connection.ServerInfo?.Version} at {server.Url}; payload 128 bytes of JSON; {string.Join('/', Modes.Select(m => m.Rounds))} rounds; {Environment.ProcessorCount} cores; load average {LoadAverage()}");

        // Messages for the subscribers: every measurement reads all of them through a fresh consumer.
        var preloaded = 0L;
        await PublishForAsync(
            async () => (await js.PublishAsync(subSubject, sample, serializer)).EnsureSuccess(),
            InFlight,
            TimeSpan.MaxValue,
            () => Interlocked.Increment(ref preloaded) <= ConsumeCount);

        Func<ValueTask> rawPublish = async () => (await js.PublishAsync(pubSubject, sample, serializer)).EnsureSuccess();
        Func<ValueTask> gofluxPublish = async () => await publisher.PublishAsync(pubSubject, sample);
        // Each measurement yields one raw and one goflux sample taken under the same conditions.
        var measurements = new Func<int, Task<(Sample Raw, Sample Goflux)>>[]
        {
            // Awaiting each ack is bound by the round trip, so load drifts show up at once: interleave small blocks.
            _ => InterleavedAsync(rawPublish, gofluxPublish, Window),
            round => BackToBackAsync(round, goflux => PublishForAsync(goflux ? gofluxPublish : rawPublish, InFlight, Window)),
            round => BackToBackAsync(round, goflux => goflux ? ConsumeGofluxAsync(js, subStream, subSubject) : ConsumeRawAsync(js, subStream, serializer)),
        };

        // Warm-up until tiered compilation has settled on both paths (JIT work would otherwise compete for the cores
        // inside the measured windows). Not reported.
        for (var round = 0; round < WarmupRounds; round++)
        {
            foreach (var measure in measurements)
            {
                await measure(round);
            }
        }

        var raw = new List<Sample>[Modes.Length];
        var goflux = new List<Sample>[Modes.Length];
        for (var m = 0; m < Modes.Length; m++)
        {
            raw[m] = [];
            goflux[m] = [];
        }

        var rounds = Modes.Max(mode => mode.Rounds);
        for (var round = 0; round < rounds; round++)
        {
            for (var m = 0; m < Modes.Length; m++)
            {
                if (round >= Modes[m].Rounds)
                {
                    continue;
                }

                var (r, g) = await measurements[m](round);
                raw[m].Add(r);
                goflux[m].Add(g);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{"mode",-28} {"raw msgs/s",11} {"goflux msgs/s",14} {"ratio",6} {"paired",7}   {"cpu µs/msg raw",14} {"goflux",7}   goal (paired ratio)");
        var allMet = true;
        for (var m = 0; m < Modes.Length; m++)
        {
            var r = Median(raw[m].Select(s => s.Rate));
            var g = Median(goflux[m].Select(s => s.Rate));
            var paired = Median(goflux[m].Zip(raw[m], (a, b) => a.Rate / b.Rate));
            var met = paired >= Modes[m].Goal;
            allMet &= met;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{Modes[m].Name,-28} {r,11:N0} {g,14:N0} {g / r,6:0.000} {paired,7:0.000}   {Median(raw[m].Select(s => s.CpuMicros)),14:0.00} {Median(goflux[m].Select(s => s.CpuMicros)),7:0.00}   >= {Modes[m].Goal:0.00} {(met ? "met" : "MISSED")}"));
        }

        Console.WriteLine();
        for (var m = 0; m < Modes.Length; m++)
        {
            Console.WriteLine($"{Modes[m].Name}:");
            Console.WriteLine($"  raw    [{Format(raw[m])}]");
            Console.WriteLine($"  goflux [{Format(goflux[m])}]");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {total.Elapsed.TotalSeconds:0.0} s; {(allMet ? "all goals met" : "some goals missed")}; load average {LoadAverage()}"));
        return 0;
    }

    /// <summary>Measures both sides one after the other, alternating which goes first so drift hits both alike.</summary>
    private static async Task<(Sample Raw, Sample Goflux)> BackToBackAsync(int round, Func<bool, Task<Sample>> measure)
    {
        var gofluxFirst = round % 2 == 1;
        var first = await measure(gofluxFirst);
        var second = await measure(!gofluxFirst);
        return gofluxFirst ? (second, first) : (first, second);
    }

    /// <summary>One publisher alternating between the two sides every few messages for the whole window.</summary>
    private static async Task<(Sample Raw, Sample Goflux)> InterleavedAsync(Func<ValueTask> raw, Func<ValueTask> goflux, TimeSpan window)
    {
        const int block = 16;
        long rawCount = 0, gofluxCount = 0;
        TimeSpan rawTime = default, gofluxTime = default, rawCpu = default, gofluxCpu = default;
        var process = Process.GetCurrentProcess();
        var clock = Stopwatch.StartNew();
        for (var turn = 0; clock.Elapsed < window; turn++)
        {
            var useGoflux = turn % 2 == 1;
            var publish = useGoflux ? goflux : raw;
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < block; i++)
            {
                await publish();
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            process.Refresh();
            cpu = process.TotalProcessorTime - cpu;
            if (useGoflux)
            {
                gofluxCount += block;
                gofluxTime += elapsed;
                gofluxCpu += cpu;
            }
            else
            {
                rawCount += block;
                rawTime += elapsed;
                rawCpu += cpu;
            }
        }

        return (
            new Sample(rawCount / rawTime.TotalSeconds, rawCpu.TotalMicroseconds / rawCount),
            new Sample(gofluxCount / gofluxTime.TotalSeconds, gofluxCpu.TotalMicroseconds / gofluxCount));
    }

    private static async Task<Sample> PublishForAsync(Func<ValueTask> publish, int workers, TimeSpan window, Func<bool>? more = null)
    {
        var count = 0L;
        var meter = Meter.Start();
        var clock = Stopwatch.StartNew();
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            tasks[w] = Task.Run(async () =>
            {
                while (clock.Elapsed < window && (more?.Invoke() ?? true))
                {
                    await publish();
                    Interlocked.Increment(ref count);
                }
            });
        }

        await Task.WhenAll(tasks);
        return meter.Stop(count);
    }

    private static async Task<Sample> ConsumeRawAsync(NatsJSContext js, string stream, INatsDeserialize<Event> serializer)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("raw" + Guid.NewGuid().ToString("N")));
        var count = 0;
        var meter = Meter.Start();
        await foreach (var msg in consumer.ConsumeAsync(serializer, new NatsJSConsumeOpts { MaxMsgs = 1000 }))
        {
            _ = msg.Data ?? throw new InvalidOperationException("no payload");
            await msg.AckAsync();
            if (++count == ConsumeCount)
            {
                break;
            }
        }

        var sample = meter.Stop(count);
        await js.DeleteConsumerAsync(stream, consumer.Info.Name);
        return sample;
    }

    private static async Task<Sample> ConsumeGofluxAsync(NatsJSContext js, string stream, string subject)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("goflux" + Guid.NewGuid().ToString("N")));
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, BenchJsonContext.Codec);
        var count = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var meter = Meter.Start();
        var running = subscriber.SubscribeAsync(
            subject,
            (message, ct) =>
            {
                _ = message.Payload ?? throw new InvalidOperationException("no payload");
                if (++count == ConsumeCount)
                {
                    done.TrySetResult();
                }

                return ValueTask.CompletedTask;
            },
            stop.Token);
        await Task.WhenAny(done.Task, running);
        var sample = meter.Stop(count);
        await stop.CancelAsync();
        await running;
        await js.DeleteConsumerAsync(stream, consumer.Info.Name);
        return sample;
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

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Format(List<Sample> samples) =>
        string.Join(", ", samples.Select(s => s.Rate.ToString("N0", CultureInfo.InvariantCulture)));

    private readonly record struct Sample(double Rate, double CpuMicros);

    private readonly struct Meter
    {
        private readonly long _start;
        private readonly TimeSpan _cpu;

        private Meter(long start, TimeSpan cpu)
        {
            _start = start;
            _cpu = cpu;
        }

        public static Meter Start() => new(Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime);

        public Sample Stop(long count)
        {
            var elapsed = Stopwatch.GetElapsedTime(_start);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpu;
            return new Sample(count / elapsed.TotalSeconds, cpu.TotalMicroseconds / Math.Max(1, count));
        }
    }
}
