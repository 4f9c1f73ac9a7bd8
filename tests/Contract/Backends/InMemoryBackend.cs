using Goflux.Codecs;
using Goflux.InMemory;
using Goflux.Testing;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;

namespace Goflux.Contract.Tests.Backends;

/// <summary>The in-memory engine on a <see cref="FakeTimeProvider"/>, from the test kit's engine backend.</summary>
public sealed class InMemoryBackend : IBackend
{
    private readonly TestBackend _kit;

    public InMemoryBackend()
    {
        // The kit's engine backend starts synchronously: an engine on a fake clock at 2026-01-01T00:00:00Z.
        _kit = TestBackend.StartAsync(TestBackendKind.InMemory).GetAwaiter().GetResult();
        Clock = (FakeTimeProvider)_kit.Clock;
        Engine = _kit.Engine!;
    }

    public string Name => "InMemory";

    public bool RealTime => false;

    public FakeTimeProvider Clock { get; }

    public InMemoryJetStream Engine { get; }

    public Task<StreamInfo> CreateStreamAsync(StreamConfig config) => Engine.CreateStreamAsync(config).AsTask();

    public Task<StreamInfo> UpdateStreamAsync(StreamConfig config) => Engine.UpdateStreamAsync(config).AsTask();

    public Task<StreamInfo> GetStreamInfoAsync(string stream) => Engine.GetStreamInfoAsync(stream).AsTask();

    public Task DeleteStreamAsync(string stream) => Engine.DeleteStreamAsync(stream).AsTask();

    public Task PurgeStreamAsync(string stream) => Engine.PurgeStreamAsync(stream).AsTask();

    public Task<long> PurgeStreamAsync(string stream, StreamPurgeRequest request) => Engine.PurgeStreamAsync(stream, request).AsTask();

    public Task DeleteMessageAsync(string stream, ulong sequence) => Engine.DeleteMessageAsync(stream, new StreamMsgDeleteRequest { Seq = sequence, NoErase = true }).AsTask();

    public Task<InMemoryStoredMessage> GetMessageAsync(string stream, StreamMsgGetRequest request) => Engine.GetMessageAsync(stream, request).AsTask();

    public async Task<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config)
        => (await Engine.CreateOrUpdateConsumerAsync(stream, config)).Info;

    public async Task<ConsumerInfo> CreateConsumerAsync(string stream, ConsumerConfig config)
        => (await Engine.CreateConsumerAsync(stream, config)).Info;

    public async Task<ConsumerInfo> UpdateConsumerAsync(string stream, ConsumerConfig config)
        => (await Engine.UpdateConsumerAsync(stream, config)).Info;

    public Task<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer) => Engine.GetConsumerInfoAsync(stream, consumer).AsTask();

    public Task DeleteConsumerAsync(string stream, string consumer) => Engine.DeleteConsumerAsync(stream, consumer).AsTask();

    public Task<PublishResult> PublishAsync(string subject, byte[] data, MessageHeaders? headers = null)
        => Engine.PublishAsync(subject, data, headers).AsTask();

    public async Task<IReadOnlyList<BackendMessage>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null)
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

    public Task LetTimePassAsync(TimeSpan duration) => _kit.LetTimePassAsync(duration);

    public Task<IReadOnlyList<JetStreamAdvisory>> AdvisoriesAsync(string stream, int atLeast = 0)
        => Task.FromResult<IReadOnlyList<JetStreamAdvisory>>([.. Engine.Advisories.Where(a => a.Stream == stream && a.Type != JetStreamAdvisory.ConsumerActionType)]);

    public Task<IReadOnlyList<JetStreamAdvisory>> ConsumerActionAdvisoriesAsync(string stream, int atLeast = 0)
        => Task.FromResult<IReadOnlyList<JetStreamAdvisory>>([.. Engine.Advisories.Where(a => a.Stream == stream && a.Type == JetStreamAdvisory.ConsumerActionType)]);

    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null)
        => new InMemoryPublisher<T>(Engine, encoder, options);

    public async Task<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null)
        => new InMemorySubscriber<T>(await Engine.GetConsumerAsync(stream, consumer), decoder, options);

    public async Task<TResult> EventuallyAsync<TResult>(Func<Task<TResult>> probe, Func<TResult, bool> done, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a hang guard, not a timing assumption
        await Engine.WaitForIdleAsync(cts.Token);
        return await probe();
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();

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
