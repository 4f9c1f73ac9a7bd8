using System.Text;
using Goflux.Contract.Tests.Backends;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// One scenario suite, two backends. Every scenario runs against the in-memory engine (fake clock) and a real
/// nats-server, and asserts only what a client can observe. Scenarios are named after the behaviour they pin down
/// (S-xx in JETSTREAM-SEMANTICS.md); partial files group them by section.
/// </summary>
public abstract partial class ContractSuite : IAsyncLifetime
{
    private IBackend? _backend;

    protected IBackend B => _backend ?? throw new InvalidOperationException("Backend not started.");

    protected bool InMemory => !B.RealTime;

    public async ValueTask InitializeAsync() => _backend = await CreateBackendAsync();

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected abstract Task<IBackend> CreateBackendAsync();

    /// <summary>A fresh stream name and subject prefix for one scenario.</summary>
    protected static (string Stream, string Prefix) Unique(string tag)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        return ($"{tag}_{id}", $"{tag.ToLowerInvariant()}.{id}");
    }

    protected static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    protected static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    /// <summary>Creates a memory-storage stream on <c>prefix.&gt;</c>.</summary>
    protected Task<StreamInfo> StreamAsync(string stream, string prefix, Action<StreamConfig>? configure = null)
    {
        var config = new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory };
        configure?.Invoke(config);
        return B.CreateStreamAsync(config);
    }

    /// <summary>Creates a durable pull consumer with explicit ack.</summary>
    protected Task<ConsumerInfo> ConsumerAsync(string stream, string name, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig(name) { AckPolicy = ConsumerConfigAckPolicy.Explicit };
        configure?.Invoke(config);
        return B.CreateOrUpdateConsumerAsync(stream, config);
    }

    protected async Task PublishManyAsync(string subject, int count, string payloadPrefix = "m")
    {
        for (var i = 1; i <= count; i++)
        {
            await B.PublishAsync(subject, Bytes(payloadPrefix + i));
        }
    }

    protected static string Counters(ConsumerInfo i) =>
        $"delivered={i.Delivered?.ConsumerSeq}/{i.Delivered?.StreamSeq} ack_floor={i.AckFloor?.ConsumerSeq}/{i.AckFloor?.StreamSeq} " +
        $"ack_pending={i.NumAckPending} pending={i.NumPending} redelivered={i.NumRedelivered}";
}
