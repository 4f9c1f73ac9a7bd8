using System.Diagnostics;
using Goflux.Benchmarks.Shared;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.InMemory.Benchmarks;

/// <summary>
/// NATS.Net's own consume loop — <c>ConsumeAsync&lt;byte[]&gt;</c> with <c>AckAsync</c>, NATS.Net's defaults — over the
/// engine's in-process client and over a real nats-server: the same code, only the client's construction differs.
/// Messages (128 bytes) are published first, then the loop drains them; the rate is messages consumed and acked per
/// second of the drain.
/// </summary>
internal static class NatsNetConsume
{
    private const int Count = 100_000;
    private const int WarmupCount = 50_000;

    /// <summary>The loop over the engine's in-process client (the engine on the system clock, no event log).</summary>
    public static async Task<double> OnEngineAsync()
    {
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
        await using var client = engine.CreateClient();
        return await RunAsync(client);
    }

    /// <summary>The same loop over a real server.</summary>
    public static async Task<double> OnServerAsync()
    {
        await using var server = await LocalServer.StartAsync();
        await using var client = new NatsClient(new NatsOpts { Url = server.Url, Name = "goflux-natsnet-bench" });
        return await RunAsync(client);
    }

    private static async Task<double> RunAsync(NatsClient client)
    {
        var js = client.CreateJetStreamContext();
        var id = Guid.NewGuid().ToString("N")[..8];
        var stream = "NNBENCH" + id;
        var subject = $"nnbench.{id}.events";
        await js.CreateStreamAsync(new StreamConfig(stream, [subject]) { Storage = StreamConfigStorage.Memory });
        var payload = new byte[128];
        Random.Shared.NextBytes(payload);

        // Warm-up: the same drain, smaller, so the loop is measured after tiered compilation settled.
        await PublishAsync(js, subject, payload, WarmupCount);
        await DrainAsync(await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("warmup")), WarmupCount);
        await js.PurgeStreamAsync(stream, new StreamPurgeRequest());

        await PublishAsync(js, subject, payload, Count);
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("bench"));
        var elapsed = await DrainAsync(consumer, Count);
        await js.DeleteStreamAsync(stream);
        return Count / elapsed.TotalSeconds;
    }

    private static async Task PublishAsync(INatsJSContext js, string subject, byte[] payload, int count)
    {
        const int inFlight = 256;
        var tasks = new List<Task>(inFlight);
        for (var i = 0; i < count; i++)
        {
            tasks.Add(js.PublishAsync(subject, payload).AsTask());
            if (tasks.Count == inFlight)
            {
                await Task.WhenAll(tasks);
                tasks.Clear();
            }
        }

        await Task.WhenAll(tasks);
    }

    private static async Task<TimeSpan> DrainAsync(INatsJSConsumer consumer, int count)
    {
        var watch = Stopwatch.StartNew();
        var n = 0;
        await foreach (var msg in consumer.ConsumeAsync<byte[]>())
        {
            await msg.AckAsync();
            if (++n == count)
            {
                break;
            }
        }

        return watch.Elapsed;
    }
}
