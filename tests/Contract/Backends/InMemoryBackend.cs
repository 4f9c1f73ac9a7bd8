using Goflux.InMemory;
using Goflux.Testing;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream.Models;

namespace Goflux.Contract.Tests.Backends;

/// <summary>The in-memory engine on a <see cref="FakeTimeProvider"/>, from the test kit's engine backend.</summary>
public sealed class InMemoryBackend : KitBackend
{
    private NatsConnection? _client;

    // The kit's engine backend starts synchronously: an engine on a fake clock at 2026-01-01T00:00:00Z.
    public InMemoryBackend()
        : base(TestBackend.StartAsync(TestBackendKind.InMemory).GetAwaiter().GetResult())
    {
        Clock = (FakeTimeProvider)Kit.Clock;
        Engine = Kit.Engine!;
    }

    public override string Name => "InMemory";

    public override bool RealTime => false;

    public FakeTimeProvider Clock { get; }

    public InMemoryJetStream Engine { get; }

    public override Task<StreamInfo> CreateStreamAsync(StreamConfig config) => Engine.CreateStreamAsync(config).AsTask();

    public override Task<StreamInfo> UpdateStreamAsync(StreamConfig config) => Engine.UpdateStreamAsync(config).AsTask();

    public override Task PurgeStreamAsync(string stream) => Engine.PurgeStreamAsync(stream).AsTask();

    public override Task<long> PurgeStreamAsync(string stream, StreamPurgeRequest request) => Engine.PurgeStreamAsync(stream, request).AsTask();

    public override Task DeleteMessageAsync(string stream, ulong sequence) => Engine.DeleteMessageAsync(stream, new StreamMsgDeleteRequest { Seq = sequence, NoErase = true }).AsTask();

    public override Task<InMemoryStoredMessage> GetMessageAsync(string stream, StreamMsgGetRequest request) => Engine.GetMessageAsync(stream, request).AsTask();

    public override async Task<ConsumerInfo> CreateConsumerAsync(string stream, ConsumerConfig config)
        => (await Engine.CreateConsumerAsync(stream, config)).Info;

    public override async Task<ConsumerInfo> UpdateConsumerAsync(string stream, ConsumerConfig config)
        => (await Engine.UpdateConsumerAsync(stream, config)).Info;

    public override Task<PublishResult> PublishAsync(string subject, byte[] data, MessageHeaders? headers = null)
        => Engine.PublishAsync(subject, data, headers).AsTask();

    public override async Task<IReadOnlyList<BackendMessage>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null)
    {
        var fetch = Engine.FetchAsync(stream, consumer, batch, expires).AsTask();
        if (expires is { } e && !fetch.IsCompleted)
        {
            await Engine.AdvanceAsync(e);
        }

        var got = await fetch;
        return [.. got.Select(d => new Msg(d))];
    }

    /// <summary>Starts a pull without moving the clock: a no-wait pull ends at once, an expiring one when time passes.</summary>
    public async Task<IReadOnlyList<BackendMessage>> StartFetchAsync(string stream, string consumer, int batch, TimeSpan? expires)
    {
        var got = await Engine.FetchAsync(stream, consumer, batch, expires);
        return [.. got.Select(d => new Msg(d))];
    }

    /// <summary>Through the engine's in-process NATS client, connected on first use.</summary>
    public override async Task<string?> ApiRequestAsync(string subject, string json, TimeSpan patience)
    {
        if (_client is null)
        {
            _client = new NatsConnection(Engine.CreateNatsOpts());
            await _client.ConnectAsync();
        }

        return await JetStreamBackend.RequestAsync(_client, subject, json, patience);
    }

    public override Task<PushReceiver> ListenAsync(string deliverSubject, string? queueGroup = null)
        => Task.FromResult<PushReceiver>(new EngineReceiver(Engine, deliverSubject, queueGroup));

    public override Task LetTimePassAsync(TimeSpan duration) => Kit.LetTimePassAsync(duration);

    public override Task<IReadOnlyList<JetStreamAdvisory>> AdvisoriesAsync(string stream, int atLeast = 0)
        => Task.FromResult<IReadOnlyList<JetStreamAdvisory>>([.. Engine.Advisories.Where(a => a.Stream == stream && a.Type != JetStreamAdvisory.ConsumerActionType)]);

    public override Task<IReadOnlyList<JetStreamAdvisory>> ConsumerActionAdvisoriesAsync(string stream, int atLeast = 0)
        => Task.FromResult<IReadOnlyList<JetStreamAdvisory>>([.. Engine.Advisories.Where(a => a.Stream == stream && a.Type == JetStreamAdvisory.ConsumerActionType)]);

    public override async Task<TResult> EventuallyAsync<TResult>(Func<Task<TResult>> probe, Func<TResult, bool> done, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a hang guard, not a timing assumption
        await Engine.WaitForIdleAsync(cts.Token);
        return await probe();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        await Kit.DisposeAsync();
    }

    /// <summary>A listener on the engine, as a client subscription is one: deliveries are held by the scenario, not
    /// waited for (as a fetch's are).</summary>
    private sealed class EngineReceiver : PushReceiver
    {
        private readonly InMemoryJetStream _engine;
        private readonly Listener _listener;

        public EngineReceiver(InMemoryJetStream engine, string subject, string? queue)
        {
            _engine = engine;
            _listener = new Listener(this, subject, queue);
            engine.AddListener(_listener);
        }

        public override ValueTask DisposeAsync()
        {
            _engine.RemoveListener(_listener);
            return default;
        }

        private sealed class Listener(EngineReceiver owner, string subject, string? queue) : Goflux.InMemory.Internal.PushListener(subject, queue, tracksHandling: false)
        {
            public override void Deliver(InMemoryDelivery delivery) => owner.Add(new Msg(delivery));
        }
    }

    private sealed class Msg : BackendMessage
    {
        private readonly InMemoryDelivery _d;

        [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
        public Msg(InMemoryDelivery d)
        {
            _d = d;
            Subject = d.Subject;
            Data = d.Data.ToArray();
            Headers = d.Headers;
            Metadata = d.Metadata;
        }

        public override Task AckAsync() => _d.AckAsync().AsTask();

        public override Task NakAsync(TimeSpan? delay = null) => _d.NakAsync(delay).AsTask();

        public override Task InProgressAsync() => _d.InProgressAsync().AsTask();

        public override Task TermAsync(string? reason = null) => _d.TermAsync(reason).AsTask();
    }
}
