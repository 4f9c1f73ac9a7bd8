using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Goflux.Codecs;
using Goflux.InMemory;
using Goflux.JetStream;
using Goflux.Testing;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.Contract.Tests.Backends;

/// <summary>
/// The goflux JetStream adapter over NATS.Net: on a real nats-server (the oracle), or on the in-memory engine's
/// in-process NATS client (<see cref="OnEngineAsync"/>), where time is the engine's virtual time.
/// </summary>
public sealed class JetStreamBackend : IBackend
{
    private static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private readonly TestBackend? _kit;
    private readonly InMemoryJetStream? _engine;
    private readonly INatsConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<JetStreamAdvisory> _advisories = new();
    private Task _advisoryLoop;
    private INatsSub<byte[]>? _advisorySub;
    private readonly List<string> _streams = [];
    private readonly List<(string Stream, string Consumer, Task Run)> _starting = [];

    private JetStreamBackend(INatsJSContext js, TestBackend? kit, InMemoryJetStream? engine)
    {
        _kit = kit;
        _engine = engine;
        Js = js;
        _connection = Js.Connection;
        _advisoryLoop = Task.CompletedTask;
    }

    public string Name => _engine is null ? "JetStream" : "JetStreamOnEngine";

    public bool RealTime => _engine is null;

    public INatsJSContext Js { get; }

    public INatsConnection Connection => _connection;

    public static async Task<JetStreamBackend> StartAsync(NatsServerFixture server)
    {
        // The kit's JetStream backend: a connection to the fixture's server (started on first use).
        var kit = await TestBackend.StartAsync(TestBackendKind.JetStream, new TestBackendOptions { Server = server });
        return await ListenAsync(new JetStreamBackend(kit.JetStream!, kit, null));
    }

    /// <summary>The adapter over the engine's in-process NATS client: NATS.Net's own JetStream code on the engine, on a
    /// fake clock at the same epoch as the in-memory binding.</summary>
    public static async Task<JetStreamBackend> OnEngineAsync()
    {
        var engine = new InMemoryJetStream(new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        var connection = new NatsConnection(engine.CreateNatsOpts());
        await connection.ConnectAsync();
        return await ListenAsync(new JetStreamBackend(new NatsJSContext(connection), null, engine));
    }

    private static async Task<JetStreamBackend> ListenAsync(JetStreamBackend backend)
    {
        var connection = backend._connection;
        if (backend._engine is not null)
        {
            // On the engine the advisories are read when asked for (AdvisoriesAsync): after a PING round trip everything
            // the engine wrote before is in the subscription's channel, so draining it is enough, and deterministic.
            backend._advisorySub = await connection.SubscribeCoreAsync<byte[]>("$JS.EVENT.ADVISORY.CONSUMER.>");
            await connection.PingAsync();
            return backend;
        }

        var ready = new TaskCompletionSource();
        backend._advisoryLoop = Task.Run(async () =>
        {
            await using var sub = await connection.SubscribeCoreAsync<byte[]>("$JS.EVENT.ADVISORY.CONSUMER.>");
            ready.TrySetResult();
            try
            {
                await foreach (var msg in sub.Msgs.ReadAllAsync(backend._stop.Token))
                {
                    if (Parse(msg.Subject, msg.Data) is { } a)
                    {
                        backend._advisories.Enqueue(a);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await ready.Task;
        await connection.PingAsync(); // the subscription is registered with the server
        return backend;
    }

    public Task<StreamInfo> CreateStreamAsync(StreamConfig config) => Map(async () =>
    {
        var s = await Js.CreateStreamAsync(config);
        lock (_streams)
        {
            _streams.Add(config.Name!);
        }

        return s.Info;
    });

    public Task<StreamInfo> UpdateStreamAsync(StreamConfig config) => Map(async () => (await Js.UpdateStreamAsync(config)).Info);

    public Task<StreamInfo> GetStreamInfoAsync(string stream) => Map(async () => (await Js.GetStreamAsync(stream)).Info);

    public Task DeleteStreamAsync(string stream) => Map(async () => await Js.DeleteStreamAsync(stream));

    public Task PurgeStreamAsync(string stream) => Map(async () => await Js.PurgeStreamAsync(stream, new StreamPurgeRequest()));

    /// <summary>Through <see cref="JetStreamSetup"/>, the path production code takes: its failures are at stage Subscribe.</summary>
    public Task<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config) => Map(async () => (await JetStreamSetup.CreateOrUpdateConsumerAsync(Js, stream, config)).Info);

    public Task<ConsumerInfo> CreateConsumerAsync(string stream, ConsumerConfig config) => Map(async () => (await Js.CreateConsumerAsync(stream, config)).Info);

    public Task<ConsumerInfo> UpdateConsumerAsync(string stream, ConsumerConfig config) => Map(async () => (await Js.UpdateConsumerAsync(stream, config)).Info);

    public Task<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer) => Map(async () => (await Js.GetConsumerAsync(stream, consumer)).Info);

    public Task DeleteConsumerAsync(string stream, string consumer) => Map(async () => await Js.DeleteConsumerAsync(stream, consumer));

    public async Task<PublishResult> PublishAsync(string subject, byte[] data, MessageHeaders? headers = null)
    {
        Subjects.ValidatePublishSubject(subject);
        PubAckResponse ack;
        try
        {
            ack = await Js.PublishAsync(subject, data, headers: ToNats(headers));
        }
        catch (NatsJSPublishNoResponseException ex)
        {
            throw new GofluxException(GofluxStage.Publish, $"no stream captures subject '{subject}' (no responders)", ex, subject);
        }
        catch (NatsJSApiException ex)
        {
            throw new GofluxException(GofluxStage.Publish, ex.Error.Description ?? ex.Message, ex, subject, ex.Error.ErrCode);
        }

        if (ack.Error is { } error)
        {
            throw new GofluxException(GofluxStage.Publish, error.Description ?? "publish failed", null, subject, error.ErrCode);
        }

        return new PublishResult(ack.Stream, ack.Seq, ack.Duplicate);
    }

    public async Task<IReadOnlyList<BackendMessage>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null)
    {
        var c = await Map(async () => await Js.GetConsumerAsync(stream, consumer));
        var list = new List<BackendMessage>();
        var opts = new NatsJSFetchOpts { MaxMsgs = batch, Expires = expires };
        var source = expires is null
            ? c.FetchNoWaitAsync<byte[]>(opts)
            : c.FetchAsync<byte[]>(opts);
        if (_engine is null)
        {
            await foreach (var m in source)
            {
                list.Add(new Msg(m));
            }

            return list;
        }

        // On the engine the request's expiry is virtual: once the request waits on the consumer, let it pass.
        var fetch = Task.Run(async () =>
        {
            await foreach (var m in source)
            {
                list.Add(new Msg(m));
            }
        });
        if (expires is { } e)
        {
            using var guard = new CancellationTokenSource(HangGuard);
            var opened = _engine.WaitForPullRequestAsync(stream, consumer, guard.Token);
            if (await Task.WhenAny(fetch, opened) == opened && (await _engine.GetConsumerInfoAsync(stream, consumer)).NumWaiting > 0)
            {
                await _engine.AdvanceAsync(e, guard.Token);
            }
        }

        await fetch;

        // The scenario holds these now: the engine does not wait for their acks before moving time.
        _engine.LeaveUnsettled(stream, consumer);
        return list;
    }

    public async Task LetTimePassAsync(TimeSpan duration)
    {
        if (_engine is null)
        {
            await Task.Delay(duration);
            return;
        }

        using var guard = new CancellationTokenSource(HangGuard);
        await ListeningAsync(guard.Token);
        await _engine.AdvanceAsync(duration, guard.Token);
        await _connection.PingAsync(guard.Token);
    }

    /// <summary>
    /// On the engine: waits until every subscription started through this backend has its first pull request open (or has
    /// ended). The goflux in-memory subscriber has pulled when SubscribeAsync returns; NATS.Net sends its first pull a
    /// moment later, and the engine cannot be idle for a loop that has not asked yet.
    /// </summary>
    private async Task ListeningAsync(CancellationToken cancellationToken)
    {
        List<(string Stream, string Consumer, Task Run)> starting;
        lock (_starting)
        {
            starting = [.. _starting];
            _starting.Clear();
        }

        foreach (var (stream, consumer, run) in starting)
        {
            await Task.WhenAny(run, _engine!.WaitForPullRequestAsync(stream, consumer, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public async Task<IReadOnlyList<JetStreamAdvisory>> AdvisoriesAsync(string stream, int atLeast = 0)
    {
        if (_advisorySub is not null)
        {
            await DrainAdvisoriesAsync();
            return [.. _advisories.Where(a => a.Stream == stream && a.Type != JetStreamAdvisory.ConsumerActionType)];
        }

        return await EventuallyAsync(
            () => Task.FromResult<IReadOnlyList<JetStreamAdvisory>>([.. _advisories.Where(a => a.Stream == stream && a.Type != JetStreamAdvisory.ConsumerActionType)]),
            list => list.Count >= atLeast,
            atLeast == 0 ? TimeSpan.FromMilliseconds(300) : null);
    }

    public async Task<IReadOnlyList<JetStreamAdvisory>> ConsumerActionAdvisoriesAsync(string stream, int atLeast = 0)
    {
        if (_advisorySub is not null)
        {
            await DrainAdvisoriesAsync();
            return [.. _advisories.Where(a => a.Stream == stream && a.Type == JetStreamAdvisory.ConsumerActionType)];
        }

        return await EventuallyAsync(
            () => Task.FromResult<IReadOnlyList<JetStreamAdvisory>>([.. _advisories.Where(a => a.Stream == stream && a.Type == JetStreamAdvisory.ConsumerActionType)]),
            list => list.Count >= atLeast,
            atLeast == 0 ? TimeSpan.FromMilliseconds(300) : null);
    }

    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null)
        => new JetStreamPublisher<T>(Js, encoder, options);

    /// <summary>On the engine: a PING round trip (everything sent before it, acks included, was applied and what the engine
    /// wrote back was read), then the advisories in the subscription's channel. No wait for idle: a handler may ask.</summary>
    private async Task DrainAdvisoriesAsync()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        await _connection.PingAsync(guard.Token);
        while (_advisorySub!.Msgs.TryRead(out var msg))
        {
            if (Parse(msg.Subject, msg.Data) is { } a)
            {
                _advisories.Enqueue(a);
            }
        }
    }

    public async Task<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null)
    {
        var subscriber = new JetStreamSubscriber<T>(await Js.GetConsumerAsync(stream, consumer), decoder, options);
        return _engine is null ? subscriber : new Started<T>(this, subscriber, stream, consumer);
    }

    public async Task<TResult> EventuallyAsync<TResult>(Func<Task<TResult>> probe, Func<TResult, bool> done, TimeSpan? timeout = null)
    {
        if (_engine is not null)
        {
            // As in memory: once the engine is idle and the client has read what it was sent, the condition holds.
            using var guard = new CancellationTokenSource(HangGuard);
            await ListeningAsync(guard.Token);
            await _engine.WaitForIdleAsync(guard.Token);
            await _connection.PingAsync(guard.Token);
            await _engine.WaitForIdleAsync(guard.Token);
            return await probe();
        }

        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultPatience);
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTimeOffset.UtcNow >= deadline)
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<string> streams;
        lock (_streams)
        {
            streams = [.. _streams];
        }

        foreach (var s in streams)
        {
            try
            {
                await Js.DeleteStreamAsync(s);
            }
            catch (NatsJSApiException)
            {
            }
        }

        await _stop.CancelAsync();
        if (_advisorySub is not null)
        {
            await _advisorySub.DisposeAsync();
        }

        if (_kit is not null)
        {
            await _kit.DisposeAsync();
        }
        else
        {
            await _connection.DisposeAsync();
            await _engine!.DisposeAsync();
        }
        try
        {
            await _advisoryLoop;
        }
        catch (Exception)
        {
        }

        _stop.Dispose();
    }

    internal static NatsHeaders? ToNats(MessageHeaders? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var h = new NatsHeaders();
        foreach (var (name, values) in headers)
        {
            h.Add(name, new Microsoft.Extensions.Primitives.StringValues([.. values]));
        }

        return h;
    }

    internal static MessageHeaders? FromNats(NatsHeaders? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var h = new MessageHeaders();
        foreach (var (name, values) in headers)
        {
            foreach (var v in values)
            {
                h.Add(name, v ?? string.Empty);
            }
        }

        return h;
    }

    private static async Task<TResult> Map<TResult>(Func<Task<TResult>> op)
    {
        try
        {
            return await op();
        }
        catch (NatsJSApiException ex)
        {
            throw new GofluxException(GofluxStage.Transport, ex.Error.Description ?? ex.Message, ex, null, ex.Error.ErrCode);
        }
    }

    private static Task Map(Func<Task> op) => Map<bool>(async () =>
    {
        await op();
        return true;
    });

    private static JetStreamAdvisory? Parse(string subject, byte[]? data)
    {
        if (data is null || data.Length == 0)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(data);
        var r = doc.RootElement;
        string? Str(string n) => r.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        ulong? Num(string n) => r.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetUInt64() : null;
        var type = Str("type");
        if (type is not (JetStreamAdvisory.MaxDeliverType or JetStreamAdvisory.TerminatedType or JetStreamAdvisory.NakType or JetStreamAdvisory.ConsumerActionType))
        {
            return null;
        }

        return new JetStreamAdvisory(
            type,
            subject,
            DateTimeOffset.Parse(Str("timestamp")!, System.Globalization.CultureInfo.InvariantCulture),
            Str("stream")!,
            Str("consumer")!,
            Num("stream_seq") ?? 0,
            Num("consumer_seq"),
            Num("deliveries") ?? 0,
            Str("reason"));
    }

    /// <summary>A subscriber on the engine whose starts the backend waits for (see <see cref="ListeningAsync"/>).</summary>
    private sealed class Started<T>(JetStreamBackend backend, JetStreamSubscriber<T> inner, string stream, string consumer) : ISubscriber<T>
    {
        public SubscriptionStatus Status => inner.Status;

        public Task SubscribeAsync(string subject, MessageHandler<T> handler, CancellationToken cancellationToken = default)
        {
            var run = inner.SubscribeAsync(subject, handler, cancellationToken);
            lock (backend._starting)
            {
                backend._starting.Add((stream, consumer, run));
            }

            return run;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class Msg : BackendMessage
    {
        private readonly INatsJSMsg<byte[]> _m;

        [SetsRequiredMembers]
        public Msg(INatsJSMsg<byte[]> m)
        {
            _m = m;
            Subject = m.Subject;
            Data = m.Data ?? [];
            Headers = FromNats(m.Headers);
            var md = m.Metadata ?? throw new InvalidOperationException("A JetStream message without metadata.");
            Metadata = new DeliveryInfo(md.Stream, md.Consumer, md.Sequence.Stream, md.Sequence.Consumer, md.NumDelivered, md.NumPending, md.Timestamp);
        }

        public override Task AckAsync() => _m.AckAsync(new AckOpts { DoubleAck = true }).AsTask();

        public override Task NakAsync(TimeSpan? delay = null) => _m.NakAsync(new AckOpts { DoubleAck = true, NakDelay = delay }).AsTask();

        public override Task InProgressAsync() => _m.AckProgressAsync(new AckOpts { DoubleAck = true }).AsTask();

        public override Task TermAsync(string? reason = null) => _m.AckTerminateAsync(new AckOpts { DoubleAck = true, TerminateReason = reason }).AsTask();
    }
}
