using System.Diagnostics;
using Goflux.Codecs;
using Goflux.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Goflux.Transport;

/// <summary>
/// The delivery half of the goflux pipeline, shared by every transport: decode (failure: term, log, count; the handler
/// never sees it), producer span context extraction, a root consumer activity linked to the producer, the handler, and
/// auto-ack (returns: ack; throws: nak) unless <see cref="SubscriberOptions.ManualAck"/> is set.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class DeliveryPipeline<T>
{
    private readonly IMessageDecoder<T> _decoder;
    private readonly SubscriberOptions _options;
    private readonly ILogger _logger;
    private readonly string _subscription;
    private readonly string? _consumerGroup;
    private readonly Action<AckOutcome, bool>? _onSettled;
    private readonly Instruments _instruments;
    private string? _stream;

    /// <summary>
    /// Initializes a new instance of the <see cref="DeliveryPipeline{T}"/> class.
    /// </summary>
    /// <param name="decoder">The payload decoder.</param>
    /// <param name="options">The subscriber options, or <see langword="null"/> for <see cref="SubscriberOptions.Default"/>.</param>
    /// <param name="subscription">The subject the subscription was made for (names the consumer activity).</param>
    /// <param name="consumerGroup">The consumer name, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The subscription subject or the options are invalid.</exception>
    public DeliveryPipeline(IMessageDecoder<T> decoder, SubscriberOptions? options, string subscription, string? consumerGroup)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        Subjects.ValidatePattern(subscription, nameof(subscription));
        _decoder = decoder;
        _options = options ?? SubscriberOptions.Default;
        _options.Validate();
        _logger = _options.Logger ?? NullLogger.Instance;
        _subscription = subscription;
        _consumerGroup = consumerGroup;
        _onSettled = _options.EnableTelemetry ? RecordOutcome : null;
        _instruments = Instruments.For(_options.MeterFactory);
    }

    /// <summary>
    /// Decodes a body with the pipeline's decoder and never throws: a failure is returned, and
    /// <see cref="ProcessAsync(IncomingMessage, DecodedPayload{T}, MessageHandler{T}, CancellationToken)"/> terminates
    /// the message with it. Safe to call from any thread, ahead of the handler loop.
    /// </summary>
    /// <param name="body">The encoded payload.</param>
    /// <returns>The payload, or what the decoder threw.</returns>
    public DecodedPayload<T> Decode(ReadOnlySpan<byte> body)
    {
        try
        {
            return new DecodedPayload<T>(_decoder.Decode(body), null, body.Length);
        }
        catch (Exception ex)
        {
            return new DecodedPayload<T>(default!, ex, body.Length);
        }
    }

    /// <summary>Processes one raw delivery.</summary>
    /// <param name="incoming">The delivery.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="cancellationToken">The subscription's token.</param>
    /// <returns>A task that completes when the message has been handled and, in auto-ack mode, settled.</returns>
    /// <remarks>Never throws for handler or decode failures; those are logged, counted and settled.</remarks>
    public ValueTask ProcessAsync(IncomingMessage incoming, MessageHandler<T> handler, CancellationToken cancellationToken) =>
        ProcessAsync(incoming, default, handler, cancellationToken);

    /// <summary>Processes one raw delivery whose payload was decoded ahead with <see cref="Decode"/>.</summary>
    /// <param name="incoming">The delivery.</param>
    /// <param name="decoded">The payload decoded ahead, or the default value to decode <see cref="IncomingMessage.Body"/> here.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="cancellationToken">The subscription's token.</param>
    /// <returns>A task that completes when the message has been handled and, in auto-ack mode, settled.</returns>
    /// <remarks>Never throws for handler or decode failures; those are logged, counted and settled.</remarks>
    public async ValueTask ProcessAsync(IncomingMessage incoming, DecodedPayload<T> decoded, MessageHandler<T> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var telemetry = _options.EnableTelemetry;
        long? start = telemetry && _instruments.ProcessDuration.Enabled ? _options.TimeProvider.GetTimestamp() : null;
        if (_stream is null && incoming.Delivery is { Stream: { Length: > 0 } stream })
        {
            // A consumer belongs to one stream: remember it for the metrics that have no delivery at hand.
            _stream = stream;
        }

        if (!decoded.IsDecoded)
        {
            decoded = Decode(incoming.Body.Span);
        }

        if (decoded.Error is not null)
        {
            await DecodeFailedAsync(incoming, decoded.Error, telemetry).ConfigureAwait(false);
            return;
        }

        var wire = incoming.Headers;
        var message = new Message<T>(
            incoming.Subject,
            decoded.Payload,
            ApplicationHeaders(wire),
            wire?[WireHeaders.MessageId],
            incoming,
            _onSettled);

        var previous = Activity.Current;
        var activity = telemetry ? StartConsumer(incoming, decoded.BodyLength, wire, message.MessageId) : null;
        string? errorType = null;
        try
        {
            await handler(message, cancellationToken).ConfigureAwait(false);
            if (!_options.ManualAck && !message.IsSettled && !message.IsDetached)
            {
                await SettleQuietlyAsync(message, m => m.AckAsync(CancellationToken.None)).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            errorType = ex.GetType().Name;
            LogQuietly(static (l, s, e) => Log.HandlerFailed(l, s, e), incoming.Subject, ex);
            activity?.SetStatus(ActivityStatusCode.Error, FailureText.MessageOf(ex));
            activity?.SetTag(GofluxTelemetry.Attributes.ErrorType, errorType);
            if (!_options.ManualAck && !message.IsSettled && !message.IsDetached)
            {
                await SettleQuietlyAsync(message, m => m.NakAsync(CancellationToken.None)).ConfigureAwait(false);
            }
        }
        finally
        {
            activity?.Dispose();
            Activity.Current = previous;
            if (telemetry)
            {
                RecordConsumed(incoming.Subject, errorType);
                if (start is { } started && _instruments.ProcessDuration.Enabled)
                {
                    var tags = BaseTags(incoming.Subject, "process");
                    if (errorType is not null)
                    {
                        tags.Add(GofluxTelemetry.Attributes.ErrorType, errorType);
                    }

                    _instruments.ProcessDuration.Record(_options.TimeProvider.GetElapsedTime(started).TotalSeconds, tags);
                }
            }
        }
    }

    /// <summary>A payload that could not be decoded: logged, counted, and terminated with the decoder's reason; the
    /// handler never sees it.</summary>
    private async ValueTask DecodeFailedAsync(IncomingMessage incoming, Exception decodeError, bool telemetry)
    {
        LogQuietly(static (l, s, e) => Log.DecodeFailed(l, s, e), incoming.Subject, decodeError);
        if (telemetry)
        {
            RecordConsumed(incoming.Subject, "decode");
        }

        var failed = new Message<T>(incoming.Subject, default!, null, null, incoming, _onSettled);
        await SettleQuietlyAsync(failed, m => m.TermAsync(FailureText.Reason("decode failed: ", decodeError), CancellationToken.None)).ConfigureAwait(false);
    }

    private static MessageHeaders? ApplicationHeaders(MessageHeaders? wire)
    {
        if (wire is null || wire.Count == 0)
        {
            return null;
        }

        MessageHeaders? app = null;
        foreach (var (name, values) in wire)
        {
            if (name.Length > WireHeaders.ApplicationPrefix.Length && name.StartsWith(WireHeaders.ApplicationPrefix, StringComparison.Ordinal))
            {
                app ??= new MessageHeaders();
                var stripped = name[WireHeaders.ApplicationPrefix.Length..];
                foreach (var v in values)
                {
                    app.Add(stripped, v);
                }
            }
        }

        return app;
    }

    private Activity? StartConsumer(in IncomingMessage incoming, int bodyLength, MessageHeaders? wire, string? messageId)
    {
        if (!Telemetry.Source.HasListeners())
        {
            return null;
        }

        ActivityLink[]? links = null;
        if (wire is not null && wire.Contains(WireHeaders.TraceParent))
        {
            var parent = Telemetry.Propagator.Extract(default, wire, static (h, k) => h.TryGetValues(k, out var v) ? v : []);
            if (parent.ActivityContext.TraceId != default && parent.ActivityContext.SpanId != default)
            {
                links = [new ActivityLink(parent.ActivityContext)];
                OpenTelemetry.Baggage.Current = parent.Baggage;
            }
        }

        // A consumer activity is a root: clear the ambient activity so it does not become the parent.
        Activity.Current = null;
        var activity = Telemetry.Source.StartActivity(ActivityKind.Consumer, default(ActivityContext), null, links, name: "process " + _subscription);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GofluxTelemetry.Attributes.System, GofluxTelemetry.MessagingSystem);
            activity.SetTag(GofluxTelemetry.Attributes.OperationName, "process");
            activity.SetTag(GofluxTelemetry.Attributes.OperationType, "process");
            activity.SetTag(GofluxTelemetry.Attributes.DestinationName, incoming.Subject);
            activity.SetTag(GofluxTelemetry.Attributes.SubscriptionName, _subscription);
            activity.SetTag(GofluxTelemetry.Attributes.BodySize, bodyLength);
            if (messageId is not null)
            {
                activity.SetTag(GofluxTelemetry.Attributes.MessageId, messageId);
            }

            if (_consumerGroup is not null)
            {
                activity.SetTag(GofluxTelemetry.Attributes.ConsumerGroup, _consumerGroup);
            }
        }

        return activity;
    }

    private ValueTask SettleQuietlyAsync(Message<T> message, Func<Message<T>, ValueTask<bool>> settle)
    {
        ValueTask<bool> settling;
        try
        {
            settling = settle(message);
            if (settling.IsCompletedSuccessfully)
            {
                _ = settling.Result; // releases a pooled source, as an await would
                return default;
            }
        }
        catch (Exception ex)
        {
            LogQuietly(static (l, s, e) => Log.SettleFailed(l, s, e), message.Subject, ex);
            return default;
        }

        return AwaitSettleQuietlyAsync(settling, message.Subject);
    }

    private async ValueTask AwaitSettleQuietlyAsync(ValueTask<bool> settling, string subject)
    {
        try
        {
            await settling.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogQuietly(static (l, s, e) => Log.SettleFailed(l, s, e), subject, ex);
        }
    }

    /// <summary>
    /// Logs a failure without letting the log throw: a logger formats the exception, and an exception whose text cannot
    /// be read would otherwise stop the settlement that follows.
    /// </summary>
    private void LogQuietly(Action<ILogger, string, Exception> log, string subject, Exception exception)
    {
        try
        {
            log(_logger, subject, exception);
        }
        catch (Exception)
        {
            // Nothing to report it to: the logger itself failed.
        }
    }

    private TagList BaseTags(string subject, string operation)
    {
        var tags = new TagList
        {
            { GofluxTelemetry.Attributes.System, GofluxTelemetry.MessagingSystem },
            { GofluxTelemetry.Attributes.OperationName, operation },
            { GofluxTelemetry.Attributes.DestinationName, subject },
        };
        if (_consumerGroup is not null)
        {
            tags.Add(GofluxTelemetry.Attributes.ConsumerGroup, _consumerGroup);
        }

        if (_stream is not null)
        {
            tags.Add(GofluxTelemetry.Attributes.Stream, _stream);
        }

        return tags;
    }

    private void RecordConsumed(string subject, string? errorType)
    {
        if (!_instruments.Consumed.Enabled)
        {
            return;
        }

        var tags = BaseTags(subject, "process");
        if (errorType is not null)
        {
            tags.Add(GofluxTelemetry.Attributes.ErrorType, errorType);
        }

        _instruments.Consumed.Add(1, tags);
    }

    private void RecordOutcome(AckOutcome outcome, bool failed)
    {
        if (!_instruments.AckOutcomes.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { GofluxTelemetry.Attributes.AckAction, Telemetry.ActionName(outcome) },
            { GofluxTelemetry.Attributes.DestinationName, _subscription },
            { GofluxTelemetry.Attributes.AckError, failed },
        };
        if (_consumerGroup is not null)
        {
            tags.Add(GofluxTelemetry.Attributes.ConsumerGroup, _consumerGroup);
        }

        if (_stream is not null)
        {
            tags.Add(GofluxTelemetry.Attributes.Stream, _stream);
        }

        _instruments.AckOutcomes.Add(1, tags);
    }
}
