using Goflux.InMemory.Internal;
using Microsoft.Extensions.Time.Testing;

namespace Goflux.InMemory;

/// <summary>
/// An in-memory JetStream engine: streams, consumers, acks, redelivery, limits and advisories with nats-server 2.10
/// semantics, every deadline on a <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// <para>Configure it with NATS.Net's own <c>StreamConfig</c> and <c>ConsumerConfig</c>, so one configuration serves
/// this engine and a real server. Errors carry the server's JetStream error codes in
/// <see cref="GofluxException.ErrorCode"/>.</para>
/// <para>With a <see cref="FakeTimeProvider"/>, time moves only when a test says so: <see cref="AdvanceAsync"/>
/// advances it deadline by deadline and lets every resulting delivery settle, so a 30-second redelivery runs in
/// microseconds.</para>
/// <para>The engine is thread-safe: one lock guards its state. Deliveries are handed to subscribers synchronously and
/// processed on the thread pool.</para>
/// </remarks>
public sealed partial class InMemoryJetStream : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, MemStream> _streams = new(StringComparer.Ordinal);
    private readonly List<InMemoryEvent> _events = [];
    private readonly List<JetStreamAdvisory> _advisories = [];
    private readonly InMemoryJetStreamOptions _options;
    private bool _disposed;

    /// <summary>
    /// Initializes a new instance of the <see cref="InMemoryJetStream"/> class.
    /// </summary>
    /// <param name="timeProvider">The clock, or <see langword="null"/> for <see cref="TimeProvider.System"/>.
    /// Tests pass a <see cref="FakeTimeProvider"/>.</param>
    public InMemoryJetStream(TimeProvider? timeProvider = null)
        : this(new InMemoryJetStreamOptions { TimeProvider = timeProvider ?? TimeProvider.System })
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="InMemoryJetStream"/> class.
    /// </summary>
    /// <param name="options">The options.</param>
    public InMemoryJetStream(InMemoryJetStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
        _options = options;
        TimeProvider = options.TimeProvider;
    }

    /// <summary>Gets the clock every deadline runs on.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Gets the options.</summary>
    public InMemoryJetStreamOptions Options => _options;

    /// <summary>Gets the server version whose behaviour the engine follows.</summary>
    public string ServerVersion => _options.ServerVersion;

    /// <summary>Gets a snapshot of the ordered event log (empty when <see cref="InMemoryJetStreamOptions.RecordEvents"/> is off).</summary>
    public IReadOnlyList<InMemoryEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Gets a snapshot of the consumer advisories raised so far, in order.</summary>
    public IReadOnlyList<JetStreamAdvisory> Advisories
    {
        get
        {
            lock (_gate)
            {
                return [.. _advisories];
            }
        }
    }

    /// <summary>Raised (outside the engine lock) for each advisory.</summary>
    public event EventHandler<JetStreamAdvisory>? AdvisoryRaised;

    /// <summary>Stops every timer and ends every open pull request. Streams and messages stay readable.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        List<PullRequest> ended = [];
        lock (_gate)
        {
            if (_disposed)
            {
                return default;
            }

            _disposed = true;
            foreach (var s in _streams.Values)
            {
                s.AgeTimer?.Dispose();
                foreach (var c in s.Consumers.Values)
                {
                    c.Timer?.Dispose();
                    ended.AddRange(c.Waiting);
                    c.Waiting.Clear();
                }
            }
        }

        foreach (var r in ended)
        {
            EndRequest(r, new ObjectDisposedException(nameof(InMemoryJetStream)));
        }

        return default;
    }

    private DateTimeOffset Now => TimeProvider.GetUtcNow();

    private void Record(InMemoryEvent e)
    {
        if (_options.RecordEvents)
        {
            _events.Add(e);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
