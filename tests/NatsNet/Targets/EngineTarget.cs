using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Net;

namespace Goflux.NatsNet.Tests.Targets;

/// <summary>The in-memory engine on a fake clock, reached through <see cref="InMemoryJetStream.CreateClient"/>.</summary>
public sealed class EngineTarget : INatsTarget
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<NatsClient> _clients = [];

    public EngineTarget(InMemoryJetStreamOptions? options = null)
    {
        Clock = new FakeTimeProvider(Epoch);
        // A long grace: NATS.Net sends a finished fetch's UNSUB without waiting for it, and on a busy machine it was seen
        // to arrive after the default half second, which the check in DisposeAsync counted as a wait given up on. A
        // scenario that truly relies on the grace still shows there, ten seconds later.
        Engine = new InMemoryJetStream((options ?? InMemoryJetStreamOptions.Default with { UnsettledGrace = TimeSpan.FromSeconds(10) }) with { TimeProvider = Clock });
        Client = Engine.CreateClient();
        _clients.Add(Client);
    }

    public string Name => "engine";

    public bool RealTime => false;

    public FakeTimeProvider Clock { get; }

    public InMemoryJetStream Engine { get; }

    InMemoryJetStream? INatsTarget.Engine => Engine;

    public NatsClient Client { get; }

    public Task<NatsClient> NewClientAsync()
    {
        var c = Engine.CreateClient();
        lock (_clients)
        {
            _clients.Add(c);
        }

        return Task.FromResult(c);
    }

    public async Task LetTimePassAsync(TimeSpan duration)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a hang guard, not a timing assumption
        await Engine.AdvanceAsync(duration, guard.Token);
        await FlushAsync();
    }

    public async Task ConsumingAsync(string stream, string consumer)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Engine.WaitForPullRequestAsync(stream, consumer, guard.Token);
    }

    public void LeaveUnsettled() => Engine.LeaveUnsettled();

    public async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Engine.WaitForIdleAsync(guard.Token);
        await FlushAsync();
        await Engine.WaitForIdleAsync(guard.Token);
        return await probe();
    }

    public async ValueTask DisposeAsync()
    {
        List<NatsClient> clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }

        var graceReleases = Engine.UnsettledGraceReleases;
        await Engine.DisposeAsync();

        // Every wait of a scenario ended because the client answered (or LeaveUnsettled said it would not): none relied
        // on the wall-clock grace, so none took wall time or depended on timing.
        if (graceReleases != 0)
        {
            throw new InvalidOperationException($"{graceReleases} deliveries were given up on after the unsettled grace: the scenario is not deterministic on the engine.");
        }
    }

    /// <summary>A PING round trip on every client: whatever the engine wrote before has been read and dispatched.</summary>
    private async Task FlushAsync()
    {
        List<NatsClient> clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        foreach (var c in clients)
        {
            await c.PingAsync();
        }
    }
}
