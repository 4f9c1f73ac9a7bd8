using System.Diagnostics;
using Goflux.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.Demo;

/// <summary>A real nats-server at <c>NATS_URL</c>: streams and consumers through <see cref="JetStreamSetup"/>, real time.</summary>
internal sealed class JetStreamBackend : IDemoBackend
{
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _streams = [];

    private JetStreamBackend(NatsConnection connection)
    {
        _connection = connection;
        _js = new NatsJSContext(connection);
        Publisher = new JetStreamPublisher<Event>(_js, DemoJsonContext.Codec);
    }

    public string Description => $"nats-server {_connection.ServerInfo?.Version} at {_connection.Opts.Url}, system clock: delays are real (and short)";

    public bool VirtualTime => false;

    public TimeSpan RetryDelay => TimeSpan.FromMilliseconds(500);

    public IPublisher<Event> Publisher { get; }

    public TimeSpan Elapsed => _clock.Elapsed;

    public static async Task<JetStreamBackend> ConnectAsync(string url)
    {
        var connection = new NatsConnection(new NatsOpts { Url = url, Name = "goflux-demo" });
        await connection.ConnectAsync();
        return new JetStreamBackend(connection);
    }

    public async Task CreateStreamAsync(StreamConfig config)
    {
        // The demo's streams are its own: start from scratch on every run.
        try
        {
            await _js.DeleteStreamAsync(config.Name!);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == 10059)
        {
        }

        await JetStreamSetup.EnsureStreamAsync(_js, config);
        _streams.Add(config.Name!);
    }

    public async Task<ISubscriber<Event>> CreateSubscriberAsync(string stream, ConsumerConfig config, SubscriberOptions options)
    {
        var consumer = await JetStreamSetup.CreateOrUpdateConsumerAsync(_js, stream, config);
        return new JetStreamSubscriber<Event>(consumer, DemoJsonContext.Codec, options);
    }

    public async Task<string> CountersAsync(string stream, string consumer)
    {
        var c = await _js.GetConsumerAsync(stream, consumer);
        return IDemoBackend.Format(c.Info);
    }

    // Acks are fire-and-forget on the subscriber's connection; a ping round trip on it means the server has seen them.
    public async Task SettleAsync() => await _connection.PingAsync();

    public Task LetTimePassAsync(TimeSpan duration) => Task.CompletedTask; // Real time passes by itself.

    public IReadOnlyList<string> Advisories(string stream) => [];

    public async ValueTask DisposeAsync()
    {
        await Publisher.DisposeAsync();
        foreach (var s in _streams)
        {
            await _js.DeleteStreamAsync(s);
        }

        await _connection.DisposeAsync();
    }
}
