using System.Text;
using Goflux.NatsNet.Tests.Targets;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// The NATS.Net contract suite: scenarios written once against NATS.Net's own API (<see cref="INatsClient"/>,
/// <see cref="INatsJSContext"/>), run on a real nats-server 2.10.27 and on the engine's in-process client. A scenario
/// asserts what NATS.Net shows its user: results, exceptions and their error codes, metadata, headers, advisories.
/// Timing scenarios let time pass through the binding: wall time on the server, virtual time on the engine.
/// </summary>
/// <remarks>Partial files by subject; scenarios cite the S-statements of docs/JETSTREAM-SEMANTICS.md.</remarks>
public abstract partial class NatsNetSuite : IAsyncLifetime
{
    private readonly List<string> _streams = [];
    private INatsTarget? _target;

    protected INatsTarget T => _target ?? throw new InvalidOperationException("The target was not started.");

    protected NatsClient Client => T.Client;

    protected INatsJSContext Js { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _target = await CreateTargetAsync();
        Js = Client.CreateJetStreamContext();
    }

    public async ValueTask DisposeAsync()
    {
        if (_target is null)
        {
            return;
        }

        if (_target.RealTime)
        {
            foreach (var s in _streams)
            {
                try
                {
                    await Js.DeleteStreamAsync(s);
                }
                catch (NatsJSApiException)
                {
                }
            }
        }

        await _target.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract Task<INatsTarget> CreateTargetAsync();

    /// <summary>A fresh stream name and subject prefix for one scenario.</summary>
    protected (string Stream, string Prefix) Unique(string tag)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var name = $"{tag}_{id}";
        lock (_streams)
        {
            _streams.Add(name);
        }

        return (name, $"{tag.ToLowerInvariant()}.{id}");
    }

    /// <summary>Creates a memory stream on <c>prefix.&gt;</c> the NATS.Net way.</summary>
    protected async Task<INatsJSStream> StreamAsync(string stream, string prefix, Action<StreamConfig>? configure = null)
    {
        var config = new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory };
        configure?.Invoke(config);
        return await Js.CreateStreamAsync(config, Ct);
    }

    /// <summary>Creates a durable pull consumer with explicit ack.</summary>
    protected async Task<INatsJSConsumer> ConsumerAsync(string stream, string name, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig(name) { AckPolicy = ConsumerConfigAckPolicy.Explicit };
        configure?.Invoke(config);
        return await Js.CreateOrUpdateConsumerAsync(stream, config, Ct);
    }

    protected async Task PublishManyAsync(string subject, int count, string prefix = "m")
    {
        for (var i = 1; i <= count; i++)
        {
            (await Js.PublishAsync(subject, Encoding.UTF8.GetBytes(prefix + i), cancellationToken: Ct)).EnsureSuccess();
        }
    }

    /// <summary>Fetches up to <paramref name="max"/> messages, waiting at most <paramref name="expires"/>.</summary>
    protected async Task<List<INatsJSMsg<byte[]>>> FetchAsync(INatsJSConsumer consumer, int max, TimeSpan? expires = null)
    {
        var list = new List<INatsJSMsg<byte[]>>();
        await foreach (var m in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = max, Expires = expires ?? TimeSpan.FromSeconds(2) }, cancellationToken: Ct))
        {
            list.Add(m);
        }

        return list;
    }

    /// <summary>A fetch that waits for messages that are (or will be) there: on the engine it must not wait out its expiry
    /// for nothing, so it asks for what is available now (no-wait) after the engine settles.</summary>
    protected async Task<List<INatsJSMsg<byte[]>>> FetchNowAsync(INatsJSConsumer consumer, int max)
    {
        var list = new List<INatsJSMsg<byte[]>>();
        await foreach (var m in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = max }, cancellationToken: Ct))
        {
            list.Add(m);
        }

        return list;
    }

    /// <summary>
    /// A fetch that expects nothing for a second: the request is open (checked), then a second passes (waited out on a
    /// server, advanced on the engine) and the fetch ends at its expiry.
    /// </summary>
    protected async Task<List<INatsJSMsg<byte[]>>> FetchNothingAsync(INatsJSConsumer consumer, string name, string stream)
    {
        var fetch = FetchAsync(consumer, 1, TimeSpan.FromSeconds(1));
        await T.ConsumingAsync(stream, name);
        await T.LetTimePassAsync(TimeSpan.FromSeconds(1));
        return await fetch;
    }

    protected static string Text(INatsJSMsg<byte[]> m) => Encoding.UTF8.GetString(m.Data ?? []);

    protected static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    protected static AckOpts Double => new() { DoubleAck = true };
}
