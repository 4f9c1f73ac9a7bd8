using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Goflux.Transport;

namespace Goflux.Benchmarks;

/// <summary>
/// The in-process cost of goflux's publish and delivery pipelines over a transport that does nothing, against the
/// JSON encode or decode alone: what the adapter adds per message before the network.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly PublishPipeline<Event> _publish = new(new NoopTransport(), BenchJsonContext.Codec);
    private readonly PublishPipeline<Event> _publishNoTelemetry = new(new NoopTransport(), BenchJsonContext.Codec, new PublisherOptions { EnableTelemetry = false });
    private readonly DeliveryPipeline<Event> _deliver = new(BenchJsonContext.Codec, null, "bench.sub", "c");
    private readonly DeliveryPipeline<Event> _deliverNoTelemetry = new(BenchJsonContext.Codec, new SubscriberOptions { EnableTelemetry = false }, "bench.sub", "c");
    private readonly MessageHandler<Event> _handler = static (_, _) => ValueTask.CompletedTask;
    private readonly NoopAcker _acker = new();
    private readonly DeliveryInfo _delivery = new("S", "c", 1, 1, 1, 0, DateTimeOffset.UnixEpoch);
    private byte[] _body = [];

    [GlobalSetup]
    public void Setup() => _body = JsonSerializer.SerializeToUtf8Bytes(Event.Sample, BenchJsonContext.Default.Event);

    [Benchmark(Baseline = true)]
    public int EncodeOnly()
    {
        _buffer.ResetWrittenCount();
        BenchJsonContext.Codec.Encode(Event.Sample, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public ValueTask<PublishResult> Publish() => _publish.PublishAsync("bench.pub", Event.Sample, null, CancellationToken.None);

    [Benchmark]
    public ValueTask<PublishResult> PublishWithoutTelemetry() => _publishNoTelemetry.PublishAsync("bench.pub", Event.Sample, null, CancellationToken.None);

    [Benchmark]
    public Event DecodeOnly() => BenchJsonContext.Codec.Decode(_body);

    [Benchmark]
    public ValueTask Deliver() => _deliver.ProcessAsync(new IncomingMessage("bench.sub", _body, null, _delivery, _acker), _handler, CancellationToken.None);

    [Benchmark]
    public ValueTask DeliverWithoutTelemetry() => _deliverNoTelemetry.ProcessAsync(new IncomingMessage("bench.sub", _body, null, _delivery, _acker), _handler, CancellationToken.None);

    private sealed class NoopTransport : ITransportPublisher
    {
        public long MaxPayload => 1024 * 1024;

        public ValueTask<PublishResult> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken) => new(new PublishResult("S", 1, false));
    }

    private sealed class NoopAcker : IMessageAcker
    {
        public AckCapabilities Capabilities => AckCapabilities.All;

        public ValueTask AckAsync(CancellationToken cancellationToken) => default;

        public ValueTask NakAsync(TimeSpan? delay, CancellationToken cancellationToken) => default;

        public ValueTask InProgressAsync(CancellationToken cancellationToken) => default;

        public ValueTask TermAsync(string? reason, CancellationToken cancellationToken) => default;
    }
}
