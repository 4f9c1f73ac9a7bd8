using System.Diagnostics;
using Goflux.InMemory;
using Goflux.JetStream;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.Demo;

/// <summary>
/// The demo's backend: the shared <see cref="IGofluxBackend"/> (the engine's or a server's; everything the examples do with
/// streams, consumers, publishers and subscribers goes through it), plus what only a demo needs to print its story: a
/// clock, letting time pass, settling before reading counters, and the engine's advisories.
/// </summary>
internal sealed class DemoBackend : IAsyncDisposable
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Func<TimeSpan> _elapsed;
    private readonly Func<TimeSpan, Task> _letTimePass;
    private readonly Func<Task> _settle;
    private readonly Func<string, IReadOnlyList<string>> _advisories;
    private readonly Func<ValueTask> _release;
    private readonly bool _freshStreams;
    private readonly List<string> _streams = [];

    private DemoBackend(
        IGofluxBackend backend,
        string description,
        bool virtualTime,
        TimeSpan retryDelay,
        Func<TimeSpan> elapsed,
        Func<TimeSpan, Task> letTimePass,
        Func<Task> settle,
        Func<string, IReadOnlyList<string>> advisories,
        Func<ValueTask> release)
    {
        Backend = backend;
        Description = description;
        VirtualTime = virtualTime;
        RetryDelay = retryDelay;
        _elapsed = elapsed;
        _letTimePass = letTimePass;
        _settle = settle;
        _advisories = advisories;
        _release = release;
        _freshStreams = !virtualTime;
        Publisher = backend.CreatePublisher(DemoJsonContext.Codec);
    }

    public IGofluxBackend Backend { get; }

    /// <summary>Gets a one-line description of the backend and its clock.</summary>
    public string Description { get; }

    /// <summary>Gets a value indicating whether time is virtual (moves only when <see cref="LetTimePassAsync"/> says so).</summary>
    public bool VirtualTime { get; }

    /// <summary>Gets the delay used for naks and retries: long on virtual time (it costs nothing), short on a real server.</summary>
    public TimeSpan RetryDelay { get; }

    public IPublisher<Event> Publisher { get; }

    /// <summary>Gets the time since the demo started, on the backend's clock.</summary>
    public TimeSpan Elapsed => _elapsed();

    /// <summary>The in-memory engine on a <see cref="FakeTimeProvider"/>: a 30-second delay takes no wall time.</summary>
    public static DemoBackend InMemory()
    {
        var clock = new FakeTimeProvider(Epoch);
        var engine = new InMemoryJetStream(clock);
        return new DemoBackend(
            new InMemoryBackend(engine),
            $"in-memory engine (nats-server {InMemoryJetStream.ServerVersion} semantics), virtual time on a FakeTimeProvider: delays take no wall time",
            virtualTime: true,
            TimeSpan.FromSeconds(30),
            () => clock.GetUtcNow() - Epoch,
            d => engine.AdvanceAsync(d),
            () => engine.WaitForIdleAsync(),
            stream => [.. engine.Advisories.Where(a => a.Stream == stream && a.Type != JetStreamAdvisory.ConsumerActionType).Select(a => $"{a.Type} seq={a.StreamSequence} deliveries={a.Deliveries} reason={a.Reason ?? "-"}")],
            engine.DisposeAsync);
    }

    /// <summary>A real nats-server at <paramref name="url"/>, on the system clock.</summary>
    public static async Task<DemoBackend> ConnectAsync(string url)
    {
        var connection = new NatsConnection(new NatsOpts { Url = url, Name = "goflux-demo" });
        await connection.ConnectAsync();
        var wall = Stopwatch.StartNew();
        return new DemoBackend(
            new JetStreamBackend(new NatsJSContext(connection)),
            $"nats-server {connection.ServerInfo?.Version} at {connection.Opts.Url}, system clock: delays are real (and short)",
            virtualTime: false,
            TimeSpan.FromMilliseconds(500),
            () => wall.Elapsed,
            _ => Task.CompletedTask, // real time passes by itself
            async () => await connection.PingAsync(), // acks are fire-and-forget: a round trip on the connection means the server has them
            _ => [], // a server publishes its advisories on $JS.EVENT.ADVISORY.>
            connection.DisposeAsync);
    }

    /// <summary>Creates the stream; on a server, the demo's streams are its own, started from scratch on every run.</summary>
    public async Task CreateStreamAsync(StreamConfig config)
    {
        if (_freshStreams)
        {
            try
            {
                await Backend.DeleteStreamAsync(config.Name!);
            }
            catch (GofluxException ex) when (ex.ErrorCode == JetStreamErrorCodes.StreamNotFound)
            {
            }
        }

        await Backend.CreateOrUpdateStreamAsync(config);
        _streams.Add(config.Name!);
    }

    public async Task<ISubscriber<Event>> CreateSubscriberAsync(string stream, ConsumerConfig config, SubscriberOptions options)
    {
        var info = await Backend.CreateOrUpdateConsumerAsync(stream, config);
        return await Backend.CreateSubscriberAsync(stream, info.Name, DemoJsonContext.Codec, options);
    }

    /// <summary>Gets the consumer's counters as one line, the same way on both backends.</summary>
    public async Task<string> CountersAsync(string stream, string consumer)
    {
        var i = await Backend.GetConsumerInfoAsync(stream, consumer);
        return $"delivered={i.Delivered?.ConsumerSeq} ack_floor={i.AckFloor?.ConsumerSeq} ack_pending={i.NumAckPending} pending={i.NumPending} redelivered={i.NumRedelivered}";
    }

    /// <summary>Waits until every delivery handed to a handler has been handled (engine) or every ack sent has reached the server.</summary>
    public Task SettleAsync() => _settle();

    /// <summary>Lets <paramref name="duration"/> pass: advances virtual time, or lets real time pass by itself.</summary>
    public Task LetTimePassAsync(TimeSpan duration) => _letTimePass(duration);

    /// <summary>Gets the advisories raised for a stream (the engine's; a real server publishes them on $JS.EVENT.>).</summary>
    public IReadOnlyList<string> Advisories(string stream) => _advisories(stream);

    public async ValueTask DisposeAsync()
    {
        await Publisher.DisposeAsync();
        if (_freshStreams)
        {
            foreach (var s in _streams)
            {
                await Backend.DeleteStreamAsync(s);
            }
        }

        await _release();
    }
}
