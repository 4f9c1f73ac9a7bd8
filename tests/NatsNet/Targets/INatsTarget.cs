using Goflux.InMemory;
using NATS.Net;

namespace Goflux.NatsNet.Tests.Targets;

/// <summary>
/// Where a NATS.Net scenario runs: a real nats-server (the oracle) or the in-memory engine through its in-process
/// client. Scenarios get a <see cref="NatsClient"/> and never learn which; only time differs, and only here.
/// </summary>
public interface INatsTarget : IAsyncDisposable
{
    string Name { get; }

    /// <summary>True on a real server: time passes by itself.</summary>
    bool RealTime { get; }

    /// <summary>The client the scenario uses.</summary>
    NatsClient Client { get; }

    /// <summary>The engine, on the engine binding; <see langword="null"/> on a server.</summary>
    InMemoryJetStream? Engine { get; }

    /// <summary>Opens one more client to the same server (the caller disposes it).</summary>
    Task<NatsClient> NewClientAsync();

    /// <summary>Lets <paramref name="duration"/> pass: waits it out on a server; advances virtual time on the engine.</summary>
    Task LetTimePassAsync(TimeSpan duration);

    /// <summary>
    /// Says that the messages the scenario holds now stay unsettled on purpose (the engine then does not wait for their
    /// acks before moving time). Nothing to do on a server.
    /// </summary>
    void LeaveUnsettled();

    /// <summary>Waits until a pull request of a NATS.Net loop is open on the consumer, or for a push consumer a subscription
    /// it delivers to (engine: signalled; server: polled).</summary>
    Task ConsumingAsync(string stream, string consumer);

    /// <summary>
    /// Waits until <paramref name="done"/> holds for what <paramref name="probe"/> returns. On the engine: once it is idle
    /// and every client has flushed (a PING round trip), the condition must hold at once. On a server: polls until a
    /// generous deadline, then returns the last value (the scenario's assertion says what was expected).
    /// </summary>
    Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null);
}
