using BenchmarkDotNet.Attributes;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Benchmarks;

/// <summary>Publishes a batch into the in-memory engine and waits until the subscriber has handled and acked it.</summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private const int Batch = 10_000;
    private InMemoryJetStream _engine = null!;
    private InMemoryPublisher<Event> _publisher = null!;
    private CancellationTokenSource _stop = null!;
    private Task _subscription = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
        await _engine.CreateOrUpdateStreamAsync(new StreamConfig("BENCH", ["bench.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 100_000 });
        var consumer = await _engine.CreateOrUpdateConsumerAsync("BENCH", new ConsumerConfig("bench") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        _publisher = new InMemoryPublisher<Event>(_engine, BenchJsonContext.Codec);
        var subscriber = new InMemorySubscriber<Event>(consumer, BenchJsonContext.Codec);
        _stop = new CancellationTokenSource();
        _subscription = subscriber.SubscribeAsync("bench.events", static (_, _) => ValueTask.CompletedTask, _stop.Token);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _stop.CancelAsync();
        await _subscription;
        await _engine.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task PublishHandleAck()
    {
        var sample = Event.Sample;
        for (var i = 0; i < Batch; i++)
        {
            await _publisher.PublishAsync("bench.events", sample);
        }

        await _engine.WaitForIdleAsync();
    }
}
