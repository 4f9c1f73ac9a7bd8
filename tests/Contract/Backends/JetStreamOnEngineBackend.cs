using Goflux.Codecs;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using GofluxJetStreamBackend = Goflux.JetStream.JetStreamBackend;

namespace Goflux.Contract.Tests.Backends;

/// <summary>
/// The goflux JetStream adapter (<see cref="GofluxJetStreamBackend"/>: JetStreamPublisher, JetStreamSubscriber,
/// JetStreamBackend) over the engine's in-process NATS client: NATS.Net's own JetStream code running on the engine, on a
/// fake clock at the in-memory binding's epoch. Every call a scenario makes goes through NATS.Net, as on a server; only
/// time and waiting are the engine's.
/// </summary>
public sealed class JetStreamOnEngineBackend : IBackend
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private readonly NatsConnection _connection;
    private readonly GofluxJetStreamBackend _shared;
    private readonly List<JetStreamAdvisory> _advisories = [];
    private readonly List<Start> _starting = [];
    private readonly List<CorePushReceiver> _receivers = [];
    private INatsSub<byte[]>? _advisorySub;

    private JetStreamOnEngineBackend(InMemoryJetStream engine, NatsConnection connection)
    {
        Engine = engine;
        _connection = connection;
        Js = new NatsJSContext(connection);
        _shared = new GofluxJetStreamBackend(Js);
    }

    public string Name => "JetStreamOnEngine";

    public bool RealTime => false;

    public InMemoryJetStream Engine { get; }

    public INatsJSContext Js { get; }

    public static async Task<JetStreamOnEngineBackend> StartAsync()
    {
        var engine = new InMemoryJetStream(new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        var connection = new NatsConnection(engine.CreateNatsOpts());
        await connection.ConnectAsync();
        var backend = new JetStreamOnEngineBackend(engine, connection);

        // Advisories are read when asked for: after a PING round trip whatever the engine wrote before is in the
        // subscription's channel, so draining it is enough, and deterministic.
        backend._advisorySub = await connection.SubscribeCoreAsync<byte[]>("$JS.EVENT.ADVISORY.CONSUMER.>");
        await connection.PingAsync();
        return backend;
    }

    public Task<StreamInfo> CreateStreamAsync(StreamConfig config) => JetStreamBackend.Map(async () => (await Js.CreateStreamAsync(config)).Info);

    public Task<StreamInfo> UpdateStreamAsync(StreamConfig config) => JetStreamBackend.Map(async () => (await Js.UpdateStreamAsync(config)).Info);

    public Task<StreamInfo> GetStreamInfoAsync(string stream) => _shared.GetStreamInfoAsync(stream).AsTask();

    public Task DeleteStreamAsync(string stream) => _shared.DeleteStreamAsync(stream).AsTask();

    public Task PurgeStreamAsync(string stream) => JetStreamBackend.Map(async () => await Js.PurgeStreamAsync(stream, new StreamPurgeRequest()));

    public Task<long> PurgeStreamAsync(string stream, StreamPurgeRequest request) => JetStreamBackend.Map(async () => (await Js.PurgeStreamAsync(stream, request)).Purged);

    public Task DeleteMessageAsync(string stream, ulong sequence) => JetStreamBackend.Map(async () => await Js.DeleteMessageAsync(stream, new StreamMsgDeleteRequest { Seq = sequence, NoErase = true }));

    public Task<InMemoryStoredMessage> GetMessageAsync(string stream, StreamMsgGetRequest request) => JetStreamBackend.Map(async () =>
    {
        var s = await Js.GetStreamAsync(stream);
        var m = (await s.GetAsync(request)).Message;
        return new InMemoryStoredMessage(m.Seq, m.Subject, m.Data, null, m.Time);
    });

    public Task<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config) => _shared.CreateOrUpdateConsumerAsync(stream, config).AsTask();

    public Task<ConsumerInfo> CreateConsumerAsync(string stream, ConsumerConfig config) => JetStreamBackend.Map(async () => (await Js.CreateConsumerAsync(stream, config)).Info);

    public Task<ConsumerInfo> UpdateConsumerAsync(string stream, ConsumerConfig config) => JetStreamBackend.Map(async () => (await Js.UpdateConsumerAsync(stream, config)).Info);

    public Task<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer) => _shared.GetConsumerInfoAsync(stream, consumer).AsTask();

    public Task DeleteConsumerAsync(string stream, string consumer) => _shared.DeleteConsumerAsync(stream, consumer).AsTask();

    public async Task<PublishResult> PublishAsync(string subject, byte[] data, MessageHeaders? headers = null)
    {
        Subjects.ValidatePublishSubject(subject);
        PubAckResponse ack;
        try
        {
            ack = await Js.PublishAsync(subject, data, headers: JetStreamBackend.ToNats(headers));
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

    public Task<string?> ApiRequestAsync(string subject, string json, TimeSpan patience) => JetStreamBackend.RequestAsync(_connection, subject, json, patience);

    public async Task<IReadOnlyList<BackendMessage>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null)
    {
        var c = await JetStreamBackend.Map(async () => await Js.GetConsumerAsync(stream, consumer));
        var list = new List<BackendMessage>();
        var opts = new NatsJSFetchOpts { MaxMsgs = batch, Expires = expires };
        var source = expires is null ? c.FetchNoWaitAsync<byte[]>(opts) : c.FetchAsync<byte[]>(opts);
        var fetch = Task.Run(async () =>
        {
            await foreach (var m in source)
            {
                list.Add(new JetStreamBackend.Msg(m));
                Engine.LeaveUnsettledDelivery(m.ReplyTo!); // the scenario holds it from here: no wait for its ack
            }
        });

        // The request's expiry is virtual: once the request waits on the consumer, let it pass.
        if (expires is { } e)
        {
            using var guard = new CancellationTokenSource(HangGuard);
            var opened = Engine.WaitForPullRequestAsync(stream, consumer, guard.Token);
            if (await Task.WhenAny(fetch, opened) == opened && (await Engine.GetConsumerInfoAsync(stream, consumer)).NumWaiting > 0)
            {
                await Engine.AdvanceAsync(e, guard.Token);
            }
        }

        await fetch;
        return list;
    }

    /// <summary>A core subscription on the engine's client; the scenario holds what it reads (no wait for its ack, only
    /// for the client to read it off the connection).</summary>
    public async Task<PushReceiver> ListenAsync(string deliverSubject, string? queueGroup = null)
    {
        Engine.HoldPushDeliveries(deliverSubject);
        var receiver = await CorePushReceiver.StartAsync(_connection, deliverSubject, queueGroup);
        lock (_receivers)
        {
            _receivers.Add(receiver);
        }

        return receiver;
    }

    public async Task LetTimePassAsync(TimeSpan duration)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        await ListeningAsync(guard.Token);
        await Engine.AdvanceAsync(duration, guard.Token);
        await _connection.PingAsync(guard.Token);
    }

    public async Task<IReadOnlyList<JetStreamAdvisory>> AdvisoriesAsync(string stream, int atLeast = 0)
    {
        await DrainAdvisoriesAsync();
        lock (_advisories)
        {
            return [.. _advisories.Where(a => a.Stream == stream && a.Type is JetStreamAdvisory.MaxDeliverType or JetStreamAdvisory.TerminatedType or JetStreamAdvisory.NakType)];
        }
    }

    public async Task<IReadOnlyList<JetStreamAdvisory>> ConsumerActionAdvisoriesAsync(string stream, int atLeast = 0)
    {
        await DrainAdvisoriesAsync();
        lock (_advisories)
        {
            return [.. _advisories.Where(a => a.Stream == stream && a.Type == JetStreamAdvisory.ConsumerActionType)];
        }
    }

    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null) => _shared.CreatePublisher(encoder, options);

    public async Task<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null)
    {
        var inner = await _shared.CreateSubscriberAsync(stream, consumer, decoder, options);
        string? deliver = null;
        try
        {
            deliver = (await Engine.GetConsumerInfoAsync(stream, consumer)).Config.DeliverSubject;
        }
        catch (GofluxException)
        {
            // gone already: the subscription fails on its own
        }

        return new Started<T>(this, inner, stream, consumer, string.IsNullOrEmpty(deliver) ? null : deliver);
    }

    /// <summary>As in memory: once the engine is idle and the client has read what it was sent, the condition holds.</summary>
    public async Task<TResult> EventuallyAsync<TResult>(Func<Task<TResult>> probe, Func<TResult, bool> done, TimeSpan? timeout = null)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        await ListeningAsync(guard.Token);
        await Engine.WaitForIdleAsync(guard.Token);
        await _connection.PingAsync(guard.Token);
        await DrainReceiversAsync(guard.Token);
        await Engine.WaitForIdleAsync(guard.Token);
        return await probe();
    }

    public async ValueTask DisposeAsync()
    {
        if (_advisorySub is not null)
        {
            await _advisorySub.DisposeAsync();
        }

        await _connection.DisposeAsync();
        var graceReleases = Engine.UnsettledGraceReleases;
        await Engine.DisposeAsync();

        // Every wait ended because the client answered (or the backend said the scenario holds the messages): none
        // relied on the wall-clock grace, so the binding is as deterministic as the in-memory one.
        if (graceReleases != 0)
        {
            throw new InvalidOperationException($"{graceReleases} deliveries were given up on after the unsettled grace: the scenario is not deterministic on the engine.");
        }
    }

    /// <summary>
    /// Waits until every subscription started through this backend has its first pull request open (or has ended). The
    /// goflux in-memory subscriber has pulled when SubscribeAsync returns; NATS.Net sends its first pull a moment later,
    /// and the engine cannot be idle for a loop that has not asked yet.
    /// </summary>
    private async Task ListeningAsync(CancellationToken cancellationToken)
    {
        // A subscription that ended is gone from the connection only once the server read its UNSUB: a PING round trip
        // makes sure, so time moved next does not redeliver to a pull request nobody reads any more.
        await _connection.PingAsync(cancellationToken);
        List<Start> starting;
        lock (_starting)
        {
            starting = [.. _starting];
            _starting.Clear();
        }

        foreach (var (stream, consumer, run, _, _) in starting.Where(s => s.Deliver is null))
        {
            await Task.WhenAny(run, Engine.WaitForPullRequestAsync(stream, consumer, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }

        // A push subscription is live once its SUB reached the server. Several members of one queue group each add one
        // subscription to the deliver subject, and the consumer is bound once the first is there: count them.
        foreach (var group in starting.Where(s => s.Deliver is not null).GroupBy(s => s.Deliver!, StringComparer.Ordinal))
        {
            var expected = group.Min(s => s.Before) + group.Count();
            while (Engine.SubscriptionCount(group.Key) < expected && group.Any(s => !s.Run.IsCompleted))
            {
                await Task.Delay(1, cancellationToken); // the client's SUB is on its way, in wall time
            }
        }
    }

    /// <summary>After a PING round trip every delivery the engine wrote is in its subscription's channel: waits until the
    /// push receivers have read theirs (an ack-none delivery is not waited for by the engine once the client read it off
    /// the connection).</summary>
    private async Task DrainReceiversAsync(CancellationToken cancellationToken)
    {
        List<CorePushReceiver> receivers;
        lock (_receivers)
        {
            receivers = [.. _receivers];
        }

        foreach (var r in receivers)
        {
            await r.DrainedAsync().WaitAsync(cancellationToken);
        }
    }

    /// <summary>A PING round trip (everything sent before it, acks included, was applied and what the engine wrote back was
    /// read), then the advisories in the subscription's channel. No wait for idle: a handler may ask.</summary>
    private async Task DrainAdvisoriesAsync()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        await _connection.PingAsync(guard.Token);
        while (_advisorySub!.Msgs.TryRead(out var msg))
        {
            if (Goflux.Testing.Internal.JetStreamDriver.Parse(msg.Subject, msg.Data) is { } a)
            {
                lock (_advisories)
                {
                    _advisories.Add(a);
                }
            }
        }
    }

    /// <summary>A subscriber whose start the backend waits for (see <see cref="ListeningAsync"/>).</summary>
    private sealed class Started<T>(JetStreamOnEngineBackend backend, ISubscriber<T> inner, string stream, string consumer, string? deliver) : ISubscriber<T>
    {
        public SubscriptionStatus Status => inner.Status;

        public Task SubscribeAsync(string subject, MessageHandler<T> handler, CancellationToken cancellationToken = default)
        {
            var before = deliver is null ? 0 : backend.Engine.SubscriptionCount(deliver);
            var run = inner.SubscribeAsync(subject, handler, cancellationToken);
            lock (backend._starting)
            {
                backend._starting.Add(new Start(stream, consumer, run, deliver, before));
            }

            return run;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>A subscription started through this backend: its consumer, and for a push consumer the deliver subject
    /// and how many subscriptions it had before this one started.</summary>
    private sealed record Start(string Stream, string Consumer, Task Run, string? Deliver, int Before);
}
