using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;

namespace Goflux.JetStream.Internal;

/// <summary>
/// Watches one running consume for a consumer that has disappeared.
/// </summary>
/// <remarks>
/// NATS.Net ends <c>ConsumeAsync</c> with a <see cref="NatsJSProtocolException"/> when the server answers an open pull
/// request with <c>409 Consumer Deleted</c>. But when the consumer is already gone as a pull request is sent, the server
/// answers <c>503</c> (no responders), and NATS.Net only reports a <see cref="NatsJSNoRespondersNotification"/> and pulls
/// again after the idle-heartbeat timeout (about 30 s by default) - for ten rounds before giving up. On such a
/// notification this watch asks the server for the consumer's info; when the server says the consumer or its stream does
/// not exist, it records the failure and stops the consume.
/// </remarks>
internal sealed class ConsumerWatch
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    private readonly INatsJSConsumer _consumer;
    private readonly CancellationTokenSource _stop;
    private readonly ILogger _logger;
    private readonly string _subscription;
    private readonly string _stream;
    private readonly string _name;
    private int _checking;
    private GofluxException? _failure;

    private readonly ResumeWatch? _resume;

    internal ConsumerWatch(INatsJSConsumer consumer, CancellationTokenSource stop, ILogger logger, string subscription, ResumeWatch? resume = null)
    {
        _resume = resume;
        _consumer = consumer;
        _stop = stop;
        _logger = logger;
        _subscription = subscription;
        _stream = consumer.Info.StreamName;
        _name = consumer.Info.Name;
    }

    /// <summary>Gets the failure that stopped the consume, or <see langword="null"/>.</summary>
    internal GofluxException? Failure => Volatile.Read(ref _failure);

    /// <summary>The <see cref="NatsJSConsumeOpts.NotificationHandler"/>.</summary>
    internal Task OnNotificationAsync(INatsJSNotification notification, CancellationToken cancellationToken)
    {
        Log.ConsumeNotification(_logger, _name, notification.Name);
        if (notification is NatsJSTimeoutNotification or NatsJSNoRespondersNotification)
        {
            _resume?.OnSilence();
        }

        if (notification is not NatsJSNoRespondersNotification || Interlocked.Exchange(ref _checking, 1) == 1)
        {
            return Task.CompletedTask;
        }

        // The check runs on its own: notifications are handled one after another, and a missed heartbeat must not wait
        // behind it.
        _ = CheckThenStopAsync(cancellationToken);
        return Task.CompletedTask;
    }

    private async Task CheckThenStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            var missing = await CheckAsync(cancellationToken).ConfigureAwait(false);
            if (missing is not null)
            {
                Interlocked.CompareExchange(ref _failure, Errors.ConsumerGone(_subscription, _stream, _name, missing, missing), null);
                await _stop.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The consume is stopping anyway. An exception here would end it with that exception instead.
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    /// <summary>
    /// Asks the server for the consumer's info. Returns the API error when the server says the consumer or its stream does
    /// not exist; <see langword="null"/> when it exists or the check itself failed (assumed transient).
    /// </summary>
    internal async Task<NatsJSApiException?> CheckAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await _consumer.RefreshAsync(timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode is JetStreamErrorCodes.ConsumerNotFound or JetStreamErrorCodes.StreamNotFound)
        {
            return ex;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.ConsumerCheckFailed(_logger, _name, ex);
            return null;
        }
    }
}
