using Microsoft.Extensions.Logging;

namespace Goflux.InMemory;

/// <summary>
/// Options of an <see cref="InMemoryJetStream"/>.
/// </summary>
public sealed record InMemoryJetStreamOptions
{
    /// <summary>Gets the default options.</summary>
    public static InMemoryJetStreamOptions Default { get; } = new();

    /// <summary>Gets the clock every deadline runs on.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Gets a value indicating whether the engine keeps the event log (<see cref="InMemoryJetStream.Events"/>).</summary>
    /// <value>The default value is <see langword="true"/>. Turn it off for benchmarks and soak runs.</value>
    public bool RecordEvents { get; init; } = true;

    /// <summary>Gets the largest message (payload plus headers) accepted, like the server's <c>max_payload</c>.</summary>
    /// <value>The default value is 1,048,576 bytes, the server's default.</value>
    public long MaxPayload { get; init; } = 1024 * 1024;

    /// <summary>Gets the logger for what the engine cannot report otherwise (a failing <see cref="InMemoryJetStream.AdvisoryRaised"/> listener).</summary>
    /// <value>The default value is <see langword="null"/> (nothing is logged).</value>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Gets how long a NATS.Net client (<see cref="InMemoryJetStream.CreateClient"/>) may stay silent, on the wall clock,
    /// about a message it has read before <see cref="InMemoryJetStream.WaitForIdleAsync"/> stops waiting for it to be
    /// acked, naked or termed.
    /// </summary>
    /// <value>The default value is 500 milliseconds. <see cref="Timeout.InfiniteTimeSpan"/> waits for every answer.</value>
    /// <remarks>Code that settles what it receives never meets this: its ack ends the wait. It bounds the wait for code
    /// that leaves a message unsettled on purpose; such a test is faster with
    /// <see cref="InMemoryJetStream.LeaveUnsettled()"/>.</remarks>
    public TimeSpan UnsettledGrace { get; init; } = TimeSpan.FromMilliseconds(500);
}
