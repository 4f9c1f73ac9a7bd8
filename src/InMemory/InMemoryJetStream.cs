using Goflux.InMemory.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Goflux.InMemory;

/// <summary>
/// An in-memory JetStream engine: streams, consumers, acks, redelivery, limits and advisories with nats-server 2.10
/// semantics, every deadline on a <see cref="System.TimeProvider"/>.
/// </summary>
/// <remarks>
/// <para>Configure it with NATS.Net's own <c>StreamConfig</c> and <c>ConsumerConfig</c>, so one configuration serves
/// this engine and a real server. Errors carry the server's JetStream error codes in
/// <see cref="GofluxException.ErrorCode"/>.</para>
/// <para>With a <c>FakeTimeProvider</c>, time moves only when a test says so: <see cref="AdvanceAsync"/>
/// advances it deadline by deadline and lets every resulting delivery settle, so a 30-second redelivery runs in
/// microseconds.</para>
/// <para>The engine is thread-safe: one lock guards its state, and nothing runs under it but state changes. Deliveries
/// to pull requests, advisory listeners and timer changes run after the lock is released, in the order they arose, so
/// the order of effects is the same whatever clock is plugged in and whichever thread moves it.</para>
/// </remarks>
public sealed partial class InMemoryJetStream : IAsyncDisposable
{
    /// <summary>
    /// The version of nats-server whose behaviour the engine reproduces: the server the contract suite checks it against.
    /// It is not a setting; the engine follows this one version.
    /// </summary>
    public const string ServerVersion = "2.10.27";

    private readonly EngineContext _ctx;
    private readonly ILogger _logger;

    /// <summary>
    /// Initializes a new instance of the <see cref="InMemoryJetStream"/> class.
    /// </summary>
    /// <param name="timeProvider">The clock, or <see langword="null"/> for <see cref="TimeProvider.System"/>.
    /// Tests pass a <c>FakeTimeProvider</c>.</param>
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
        Options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _ctx = new EngineContext(this, options);
        TimeProvider = new TrackingTimeProvider(options.TimeProvider, _ctx.Idle);
    }

    /// <summary>Gets the engine's clock, as handlers should use it.</summary>
    /// <value>The clock of <see cref="InMemoryJetStreamOptions.TimeProvider"/>, wrapped: a handler that waits on a timer of
    /// this provider (<c>Task.Delay(d, engine.TimeProvider)</c>, a heartbeat) counts as waiting for virtual time, so
    /// <see cref="AdvanceAsync"/> and <see cref="WaitForIdleAsync"/> do not wait for it. The unwrapped clock is
    /// <see cref="Options"/>.<see cref="InMemoryJetStreamOptions.TimeProvider"/>.</value>
    public TimeProvider TimeProvider { get; }

    /// <summary>Gets the options.</summary>
    public InMemoryJetStreamOptions Options { get; }

    /// <summary>Gets the shared engine state (for the engine's own tests).</summary>
    internal EngineContext Context => _ctx;

    /// <summary>Gets a snapshot of the ordered event log (empty when <see cref="InMemoryJetStreamOptions.RecordEvents"/> is off).</summary>
    public IReadOnlyList<InMemoryEvent> Events
    {
        get
        {
            using var op = _ctx.Enter();
            return [.. _ctx.Events];
        }
    }

    /// <summary>Gets a snapshot of the consumer advisories raised so far, in order.</summary>
    public IReadOnlyList<JetStreamAdvisory> Advisories
    {
        get
        {
            using var op = _ctx.Enter();
            return [.. _ctx.Advisories];
        }
    }

    /// <summary>Raised for each advisory, outside the engine lock, in the order the advisories were raised.</summary>
    /// <remarks>A listener that throws does not fail the operation that raised the advisory: the exception is logged
    /// through <see cref="InMemoryJetStreamOptions.Logger"/> and the engine carries on.</remarks>
    public event EventHandler<JetStreamAdvisory>? AdvisoryRaised;

    /// <summary>
    /// Stops the engine: every open pull request ends with an <see cref="ObjectDisposedException"/> (so subscriptions end
    /// with an error rooted in it), <see cref="WaitForIdleAsync"/> fails with it, and later operations and acks throw it.
    /// Streams and messages stay readable through <see cref="Events"/> and <see cref="Advisories"/>.
    /// </summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        using (_ctx.Enter())
        {
            if (_ctx.Disposed)
            {
                return default;
            }

            _ctx.Disposed = true;
            var error = new ObjectDisposedException(nameof(InMemoryJetStream), "The in-memory JetStream engine was disposed.");
            foreach (var s in _ctx.Streams.Values)
            {
                foreach (var c in s.Consumers)
                {
                    c.Close(error);
                }
            }

            foreach (var l in _ctx.Push.All())
            {
                _ctx.EndListener(l, error);
            }

            _ctx.Scheduler.Clear();
        }

        CloseServer();
        _ctx.Scheduler.Dispose();
        _ctx.Idle.Dispose();
        return default;
    }

    /// <summary>Calls the <see cref="AdvisoryRaised"/> listeners; an effect, outside the lock. A listener failure is logged.</summary>
    internal void NotifyAdvisory(JetStreamAdvisory advisory)
    {
        if (AdvisoryRaised is not { } handler)
        {
            return;
        }

        foreach (var listener in handler.GetInvocationList())
        {
            try
            {
                ((EventHandler<JetStreamAdvisory>)listener)(this, advisory);
            }
#pragma warning disable CA1031 // A listener must never fail the operation that raised the advisory, nor a timer thread.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.AdvisoryListenerFailed(_logger, advisory.Type, advisory.Stream, advisory.Consumer, advisory.StreamSequence, ex);
            }
        }
    }
}
