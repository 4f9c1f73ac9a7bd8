using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;

namespace Goflux.Demo;

/// <summary>The in-memory engine on a <see cref="FakeTimeProvider"/>: a 30-second delay takes no wall time.</summary>
internal sealed class InMemoryBackend : IDemoBackend
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Epoch);
    private readonly InMemoryJetStream _engine;

    public InMemoryBackend()
    {
        _engine = new InMemoryJetStream(_clock);
        Publisher = new InMemoryPublisher<Event>(_engine, DemoJsonContext.Codec);
    }

    public string Description => $"in-memory engine (nats-server {_engine.ServerVersion} semantics), virtual time on a FakeTimeProvider: delays take no wall time";

    public bool VirtualTime => true;

    public TimeSpan RetryDelay => TimeSpan.FromSeconds(30);

    public IPublisher<Event> Publisher { get; }

    public TimeSpan Elapsed => _clock.GetUtcNow() - Epoch;

    public async Task CreateStreamAsync(StreamConfig config) => await _engine.CreateOrUpdateStreamAsync(config);

    public async Task<ISubscriber<Event>> CreateSubscriberAsync(string stream, ConsumerConfig config, SubscriberOptions options)
    {
        var consumer = await _engine.CreateOrUpdateConsumerAsync(stream, config);
        return new InMemorySubscriber<Event>(consumer, DemoJsonContext.Codec, options);
    }

    public async Task<string> CountersAsync(string stream, string consumer) =>
        IDemoBackend.Format(await _engine.GetConsumerInfoAsync(stream, consumer));

    public Task SettleAsync() => _engine.WaitForIdleAsync();

    public Task LetTimePassAsync(TimeSpan duration) => _engine.AdvanceAsync(duration);

    public IReadOnlyList<string> Advisories(string stream) =>
        [.. _engine.Advisories.Where(a => a.Stream == stream && a.Type != JetStreamAdvisory.ConsumerActionType).Select(a => $"{a.Type} seq={a.StreamSequence} deliveries={a.Deliveries} reason={a.Reason ?? "-"}")];

    public async ValueTask DisposeAsync()
    {
        await Publisher.DisposeAsync();
        await _engine.DisposeAsync();
    }
}
