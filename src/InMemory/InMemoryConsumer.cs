using NATS.Client.JetStream.Models;

namespace Goflux.InMemory;

/// <summary>
/// A handle on a consumer of an <see cref="InMemoryJetStream"/>, the in-memory twin of NATS.Net's <c>INatsJSConsumer</c>.
/// </summary>
public sealed class InMemoryConsumer
{
    internal InMemoryConsumer(InMemoryJetStream engine, string stream, string name, ConsumerInfo info)
    {
        Engine = engine;
        Stream = stream;
        Name = name;
        Info = info;
    }

    /// <summary>Gets the engine.</summary>
    public InMemoryJetStream Engine { get; }

    /// <summary>Gets the stream name.</summary>
    public string Stream { get; }

    /// <summary>Gets the consumer name.</summary>
    public string Name { get; }

    /// <summary>Gets the info returned when the handle was made (not refreshed; see <see cref="GetInfoAsync"/>).</summary>
    public ConsumerInfo Info { get; }

    /// <summary>Gets the consumer's current info and counters.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The info.</returns>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist.</exception>
    public ValueTask<ConsumerInfo> GetInfoAsync(CancellationToken cancellationToken = default)
        => Engine.GetConsumerInfoAsync(Stream, Name, cancellationToken);

    /// <summary>Pulls up to <paramref name="batch"/> messages, like NATS.Net's <c>FetchAsync</c>/<c>FetchNoWaitAsync</c>.</summary>
    /// <param name="batch">The most messages to return.</param>
    /// <param name="expires">How long to wait for the batch to fill, on the engine's clock; <see langword="null"/> for a no-wait pull: what is available now, except that, as on the server, a pull finding messages pending or redeliveries queued but none deliverable stays open until something is delivered (at most 35 s, S-70).</param>
    /// <param name="cancellationToken">A token to cancel the wait.</param>
    /// <returns>The deliveries, in order.</returns>
    public ValueTask<IReadOnlyList<InMemoryDelivery>> FetchAsync(int batch, TimeSpan? expires = null, CancellationToken cancellationToken = default)
        => Engine.FetchAsync(Stream, Name, batch, expires, cancellationToken);
}
