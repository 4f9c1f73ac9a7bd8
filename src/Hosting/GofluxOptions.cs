namespace Goflux.Hosting;

/// <summary>
/// Options of goflux in a host, bound from the configuration section <c>Goflux</c> (see
/// <see cref="GofluxBuilder.ConfigurationSection"/>) and validated when the host starts.
/// </summary>
public sealed class GofluxOptions
{
    /// <summary>
    /// Gets or sets how long the host's start may take to create the topology and to see every hosted consumer listen.
    /// </summary>
    /// <value>The default value is 30 seconds. Must be positive.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets a value indicating whether publishers and hosted consumers emit activities and metrics.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool EnableTelemetry { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether publishers also send the message id as <c>Nats-Msg-Id</c>, so the stream
    /// drops duplicates within its duplicate window.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool DeduplicateByMessageId { get; set; }
}
