using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Goflux;

/// <summary>
/// Options of a subscriber; shared by every transport.
/// </summary>
public sealed record SubscriberOptions
{
    /// <summary>Gets the default options.</summary>
    public static SubscriberOptions Default { get; } = new();

    /// <summary>
    /// Gets a value indicating whether the handler settles messages itself. When <see langword="false"/>, a message the handler
    /// returns from unsettled is acked, and one whose handler throws is naked.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ManualAck { get; init; }

    /// <summary>Gets a value indicating whether processing emits activities and metrics.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool EnableTelemetry { get; init; } = true;

    /// <summary>
    /// Gets the pull window: how many messages the client asks the server for at once and buffers. A message naked now
    /// comes back after the messages already in this window.
    /// </summary>
    /// <value>The default value is 1000, NATS.Net's default for <c>ConsumeAsync</c>.</value>
    public int MaxMessages { get; init; } = 1000;

    /// <summary>
    /// Gets the idle heartbeat the server is asked to send while a pull request waits for messages. A subscription that
    /// misses heartbeats for twice this long treats the server as away: it reports
    /// <see cref="SubscriptionState.Interrupted"/> when the server does not answer either, and pulls again as soon as
    /// the connection is open. After a restart or an outage, messages flow again within the connection's reconnect
    /// wait plus twice this value.
    /// </summary>
    /// <value>The default value is 1 second (NATS.Net allows 0.5 to 30 seconds). Used by the JetStream transport; the
    /// in-memory engine has no connection to lose.</value>
    public TimeSpan IdleHeartbeat { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets how long each pull request stays open on the server before the client renews it.
    /// </summary>
    /// <value>The default value is 30 seconds, NATS.Net's default; at least 1 second and at least twice
    /// <see cref="IdleHeartbeat"/>. Used by the JetStream transport.</value>
    public TimeSpan Expires { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the logger, or <see langword="null"/> for none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Gets the factory of the meter the subscriber's metrics are recorded on, or <see langword="null"/> for the shared static
    /// meter named <see cref="GofluxTelemetry.SourceName"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>
    /// With a factory (for example the <see cref="IMeterFactory"/> of a host's service provider), measurements go to the
    /// factory's meter only, so a listener scoped to that factory (such as a test's metric collector) sees this
    /// subscriber's measurements and no one else's.
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
        if (MaxMessages < 1)
        {
            errors.Add($"MaxMessages must be at least 1 (was {MaxMessages}).");
        }

        if (TimeProvider is null)
        {
            errors.Add("TimeProvider must not be null.");
        }

        if (IdleHeartbeat < TimeSpan.FromMilliseconds(500) || IdleHeartbeat > TimeSpan.FromSeconds(30))
        {
            errors.Add($"IdleHeartbeat must be between 0.5 and 30 seconds (was {IdleHeartbeat}).");
        }

        if (Expires < TimeSpan.FromSeconds(1) || Expires < IdleHeartbeat * 2)
        {
            errors.Add($"Expires must be at least 1 second and at least twice IdleHeartbeat (was {Expires}, IdleHeartbeat {IdleHeartbeat}).");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid subscriber options: " + string.Join(" ", errors), "options");
        }
    }
}
