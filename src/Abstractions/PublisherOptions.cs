using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Goflux;

/// <summary>
/// Options of a publisher; shared by every transport.
/// </summary>
public sealed record PublisherOptions
{
    /// <summary>Gets the default options.</summary>
    public static PublisherOptions Default { get; } = new();

    /// <summary>Gets a value indicating whether publishes emit activities and metrics.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool EnableTelemetry { get; init; } = true;

    /// <summary>
    /// Gets a value indicating whether <see cref="PublishOptions.MessageId"/> is also sent as <c>Nats-Msg-Id</c>, the header
    /// the server deduplicates on within the stream's duplicate window.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool DeduplicateByMessageId { get; init; }

    /// <summary>Gets the logger, or <see langword="null"/> for none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Gets the factory of the meter the publisher's metrics are recorded on, or <see langword="null"/> for the shared static
    /// meter named <see cref="GofluxTelemetry.SourceName"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>
    /// With a factory (for example the <see cref="IMeterFactory"/> of a host's service provider), measurements go to the
    /// factory's meter only, so a listener scoped to that factory (such as a test's metric collector) sees this
    /// publisher's measurements and no one else's.
    /// </remarks>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>Gets the time provider used to measure durations.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
