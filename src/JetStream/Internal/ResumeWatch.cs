using Goflux.Transport;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;

namespace Goflux.JetStream.Internal;

/// <summary>
/// Tells, for one running consume, when the server has gone away and when pulls flow again, and reports it as
/// <see cref="SubscriptionState.Interrupted"/> and <see cref="SubscriptionState.Listening"/>.
/// </summary>
/// <remarks>
/// <para>
/// A pull request asks the server for an idle heartbeat; NATS.Net raises a <see cref="NatsJSTimeoutNotification"/> each
/// time no heartbeat or message arrived for twice that period, and pulls again then if the connection is open. On the
/// first such notification this watch asks the server for the consumer's info: when that fails too, the subscription is
/// interrupted (logged at Warning). While interrupted, every missed heartbeat or no-responders answer re-arms a quiet
/// timer of three heartbeat periods; when it runs out (heartbeats arrive again, so a pull is open) or a message arrives,
/// the subscription listens again (logged at Information, with how long it was away).
/// </para>
/// <para>Nothing here blocks the notification handler: the check runs on its own.</para>
/// </remarks>
internal sealed class ResumeWatch : IDisposable
{
    private readonly INatsJSConsumer _consumer;
    private readonly SubscriptionStatusSource _status;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string _subscription;
    private readonly string _name;
    private readonly TimeSpan _idle;
    private readonly TimeSpan _quiet;
    private readonly TimeSpan _probeTimeout;
    private readonly CancellationToken _stopping;
    private readonly ITimer _quietTimer;
    private readonly Lock _gate = new();
    private long _interruptedAt;
    private bool _interrupted;
    private bool _probing;
    private bool _disposed;

    internal ResumeWatch(
        INatsJSConsumer consumer,
        SubscriptionStatusSource status,
        ILogger logger,
        TimeProvider timeProvider,
        string subscription,
        TimeSpan idleHeartbeat,
        CancellationToken stopping)
    {
        _consumer = consumer;
        _status = status;
        _logger = logger;
        _timeProvider = timeProvider;
        _subscription = subscription;
        _name = consumer.Info.Name;
        _idle = idleHeartbeat;
        _quiet = idleHeartbeat * 3;
        _probeTimeout = TimeSpan.FromTicks(Math.Max(idleHeartbeat.Ticks * 2, TimeSpan.TicksPerSecond));
        _stopping = stopping;
        _quietTimer = timeProvider.CreateTimer(static state => ((ResumeWatch)state!).OnQuiet(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Gets a value indicating whether the subscription is interrupted now.</summary>
    internal bool Interrupted
    {
        get
        {
            lock (_gate)
            {
                return _interrupted;
            }
        }
    }

    /// <summary>No heartbeat or message for twice the idle heartbeat, or a pull answered with no responders.</summary>
    internal void OnSilence()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (_interrupted)
            {
                _quietTimer.Change(_quiet, Timeout.InfiniteTimeSpan);
                return;
            }

            if (_probing)
            {
                return;
            }

            _probing = true;
        }

        _ = ProbeAsync();
    }

    /// <summary>A message arrived: pulls flow.</summary>
    internal void OnMessage()
    {
        if (Volatile.Read(ref _interrupted))
        {
            Resume();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _quietTimer.Dispose();
    }

    private async Task ProbeAsync()
    {
        Exception? failure = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            timeout.CancelAfter(_probeTimeout);
            await _consumer.RefreshAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Any failure to reach the server is what this probe looks for.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        lock (_gate)
        {
            _probing = false;
            if (failure is null || _disposed || _interrupted)
            {
                return;
            }

            _interrupted = true;
            _interruptedAt = _timeProvider.GetTimestamp();
            _quietTimer.Change(_quiet, Timeout.InfiniteTimeSpan);
        }

        var cause = new GofluxException(
            GofluxStage.Transport,
            $"Subscription '{_subscription}' is interrupted: no heartbeat from the server for {Errors.Seconds(_idle * 2)} and consumer '{_name}' did not answer: {failure.Message}",
            failure,
            _subscription);
        _status.Report(SubscriptionState.Interrupted, cause);
        Log.SubscriptionInterrupted(_logger, _subscription, _name, _idle * 2, failure.Message);
    }

    private void OnQuiet() => Resume();

    private void Resume()
    {
        TimeSpan away;
        lock (_gate)
        {
            if (!_interrupted || _disposed)
            {
                return;
            }

            _interrupted = false;
            away = _timeProvider.GetElapsedTime(_interruptedAt);
            _quietTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        _status.Report(SubscriptionState.Listening);
        Log.SubscriptionResumed(_logger, _subscription, _name, away);
    }
}
