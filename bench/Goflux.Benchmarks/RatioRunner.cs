using System.Diagnostics;
using System.Globalization;
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
/// absolute rates move a lot between rounds; the paired ratio much less.
/// </remarks>
internal static class RatioRunner
{
    private static readonly int Rounds = 9;
    private static readonly int InFlight = 256;
    private static readonly int ConsumeCount = 40_000;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(0.5);

    private static readonly (string Name, double Goal)[] Modes =
    [
        ("publish, await each ack", 0.95),
        ($"publish, {InFlight} in flight", 0.95),
        ("subscribe, auto-ack", 0.90),
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
        await JetStreamSetup.EnsureStreamAsync(js, new StreamConfig("BENCHPUB" + id, [pubSubject]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
        await JetStreamSetup.EnsureStreamAsync(js, new StreamConfig("BENCHSUB" + id, [subSubject]) { Storage = StreamConfigStorage.Memory });

        var serializer = new NatsJsonContextSerializer<Event>(BenchJsonContext.Default);
        var sample = Event.Sample;
        await using var publisher = new JetStreamPublisher<Event>(js, BenchJsonContext.Codec);

        Console.WriteLine($"server {connection.ServerInfo?.Version} at {server.Url}; payload 128 bytes of JSON; {Rounds} rounds; {Environment.ProcessorCount} cores; load average {LoadAverage()}");

        // Messages for the subscribers: every measurement reads all of them through a fresh consumer.
        var preloaded = 0L;
        await PublishForAsync(() => js.PublishAsync(subSubject, sample, serializer), InFlight, TimeSpan.MaxValue, () => Interlocked.Increment(ref preloaded) <= ConsumeCount);

        var rawPublish = () => PublishRawAsync(js, pubSubject, sample, serializer);
        var gofluxPublish = () => PublishGofluxAsync(publisher, pubSubject, sample);
        var measurements = new Func<bool, TimeSpan, Task<double>>[]
        {
            (goflux, window) => PublishForAsync(goflux ? gofluxPublish : rawPublish, 1, window),
            (goflux, window) => PublishForAsync(goflux ? gofluxPublish : rawPublish, InFlight, window),
            (goflux, _) => goflux
                ? ConsumeGofluxAsync(js, "BENCHSUB" + id, subSubject)
                : ConsumeRawAsync(js, "BENCHSUB" + id, serializer),
        };

        // Warm-up: JIT, tiering, pools. Not reported.
        foreach (var measure in measurements)
        {
            await measure(false, Window / 4);
            await measure(true, Window / 4);
        }

        var raw = new List<double>[Modes.Length];
        var goflux = new List<double>[Modes.Length];
        for (var m = 0; m < Modes.Length; m++)
        {
            raw[m] = [];
            goflux[m] = [];
        }

        for (var round = 0; round < Rounds; round++)
        {
            for (var m = 0; m < Modes.Length; m++)
            {
                // Alternate which side goes first so drift (GC, stream growth, other load) hits both alike.
                var gofluxFirst = round % 2 == 1;
                var first = await measurements[m](gofluxFirst, Window);
                var second = await measurements[m](!gofluxFirst, Window);
                (gofluxFirst ? goflux[m] : raw[m]).Add(first);
                (gofluxFirst ? raw[m] : goflux[m]).Add(second);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{"mode",-28} {"raw msgs/s",12} {"goflux msgs/s",14} {"ratio",7}  {"paired",7}  goal (paired ratio)");
        var allMet = true;
        for (var m = 0; m < Modes.Length; m++)
        {
            var r = Median(raw[m]);
            var g = Median(goflux[m]);
            var paired = Median([.. goflux[m].Zip(raw[m], (a, b) => a / b)]);
            var met = paired >= Modes[m].Goal;
            allMet &= met;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Modes[m].Name,-28} {r,12:N0} {g,14:N0} {g / r,7:0.000}  {paired,7:0.000}  >= {Modes[m].Goal:0.00} {(met ? "met" : "MISSED")}"));
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

    private static async ValueTask PublishRawAsync(NatsJSContext js, string subject, Event value, INatsSerialize<Event> serializer)
    {
        var ack = await js.PublishAsync(subject, value, serializer);
        ack.EnsureSuccess();
    }

    private static async ValueTask PublishGofluxAsync(JetStreamPublisher<Event> publisher, string subject, Event value) =>
        await publisher.PublishAsync(subject, value);

    private static Task<double> PublishForAsync(Func<ValueTask<PubAckResponse>> publish, int workers, TimeSpan window, Func<bool> more) =>
        PublishForAsync(async () => (await publish()).EnsureSuccess(), workers, window, more);

    private static async Task<double> PublishForAsync(Func<ValueTask> publish, int workers, TimeSpan window, Func<bool>? more = null)
    {
        var count = 0L;
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
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> ConsumeRawAsync(NatsJSContext js, string stream, INatsDeserialize<Event> serializer)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("raw" + Guid.NewGuid().ToString("N")));
        var count = 0;
        var clock = Stopwatch.StartNew();
        await foreach (var msg in consumer.ConsumeAsync(serializer, new NatsJSConsumeOpts { MaxMsgs = 1000 }))
        {
            _ = msg.Data ?? throw new InvalidOperationException("no payload");
            await msg.AckAsync();
            if (++count == ConsumeCount)
            {
                break;
            }
        }

        var rate = count / clock.Elapsed.TotalSeconds;
        await js.DeleteConsumerAsync(stream, consumer.Info.Name);
        return rate;
    }

    private static async Task<double> ConsumeGofluxAsync(NatsJSContext js, string stream, string subject)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("goflux" + Guid.NewGuid().ToString("N")));
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, BenchJsonContext.Codec);
        var count = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
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
        var rate = count / clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await running;
        await js.DeleteConsumerAsync(stream, consumer.Info.Name);
        return rate;
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

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Format(List<double> values) =>
        string.Join(", ", values.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)));
}
