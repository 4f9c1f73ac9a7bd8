namespace Goflux.Hosting;

/// <summary>
/// Options of one hosted consumer, named <c>{stream}/{consumer}</c> (<see cref="NameOf"/>) and bound from the configuration
/// section <c>Goflux:Consumers:{stream}:{consumer}</c>; configuration overrides what the code set. Validated when the host
/// starts.
/// </summary>
public sealed class GofluxHandlerOptions
{
    /// <summary>The largest <see cref="MaxConcurrency"/> accepted.</summary>
    public const int MaxConcurrencyLimit = 1024;

    /// <summary>
    /// Gets or sets how many messages of this consumer are handled at once. Each of these workers pulls on its own, so
    /// they also share the consumer's messages.
    /// </summary>
    /// <value>The default value is 1. Must be between 1 and <see cref="MaxConcurrencyLimit"/>.</value>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>
    /// Gets or sets the pull window: how many messages the consumer asks the server for at once, shared out among its
    /// workers (each keeps at least one). Pulled messages that were not handled when the host stops stay unsettled and are
    /// redelivered after the consumer's ack wait; a small window keeps that set small.
    /// </summary>
    /// <value>The default value is 1000. Must be at least 1; each worker asks for <c>max(1, MaxMessages / MaxConcurrency)</c>.</value>
    public int MaxMessages { get; set; } = 1000;

    /// <summary>
    /// Gets or sets the subject that names the subscription in telemetry, or <see langword="null"/> for the consumer's
    /// filter subject, else the stream's subject when it has exactly one, else <c>&gt;</c>. The consumer's filter decides
    /// what is delivered.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Subject { get; set; }

    /// <summary>
    /// The name of a hosted consumer's options (for <c>IOptionsMonitor&lt;GofluxHandlerOptions&gt;.Get(name)</c>): consumer
    /// names are unique within a stream only, so the name carries both.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="consumer">The consumer.</param>
    /// <returns><c>{stream}/{consumer}</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> or <paramref name="consumer"/> is empty.</exception>
    public static string NameOf(string stream, string consumer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        return $"{stream}/{consumer}";
    }
}
