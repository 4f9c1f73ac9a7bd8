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

    /// <summary>
    /// Gets how long a publish may take in all, from the call until the server's acknowledgement, including the wait for a
    /// connection that is not open (for example while the server is down or restarting). When it runs out the publish
    /// fails with a <see cref="GofluxException"/> whose <see cref="GofluxException.PublishOutcome"/> says whether the
    /// message was sent (<see cref="PublishOutcome.Unknown"/>: it may have been stored) or not
    /// (<see cref="PublishOutcome.NotSent"/>).
    /// </summary>
    /// <value>The default value is 5 seconds. The in-memory transport answers at once and never waits.</value>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(5);

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

    /// <summary>Throws when the options are invalid, listing every problem.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (PublishTimeout <= TimeSpan.Zero || PublishTimeout.TotalMilliseconds > int.MaxValue)
        {
            errors.Add($"PublishTimeout must be positive and at most {int.MaxValue} ms (was {PublishTimeout}).");
        }

        if (TimeProvider is null)
        {
            errors.Add("TimeProvider must not be null.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid publisher options: " + string.Join(" ", errors), "options");
        }
    }
}
