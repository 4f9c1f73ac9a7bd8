using System.Runtime.CompilerServices;
using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.JetStream.Internal;

/// <summary>The raw JetStream publish behind <see cref="JetStreamPublisher{T}"/>.</summary>
/// <remarks>
/// The publish is a request on the connection, so that each failure can be told apart by what is known of the message:
/// a connection that does not open within the publish timeout means nothing was sent; a no-responders reply (503) means
/// no stream captured the subject; an error in the PubAck means the stream rejected it; anything else after the message
/// was handed to the connection (no reply within the timeout, the connection lost, the caller cancelling while waiting)
/// leaves the outcome unknown. NATS.Net's own JetStream publish reports a reply timeout as "no responders", which is
/// why it is not used.
/// </remarks>
internal sealed class JetStreamTransportPublisher : ITransportPublisher
{
    private static readonly INatsDeserialize<PubAckResponse> AckSerializer = new NatsJsonContextSerializer<PubAckResponse>(PubAckJsonContext.Default);
    private static readonly INatsSerialize<ReadOnlyMemory<byte>> BodySerializer = NatsRawSerializer<ReadOnlyMemory<byte>>.Default;

    /// <summary>The reply options when the publish deadline runs on the system clock: that deadline ends the wait for
    /// the acknowledgement on time, so NATS.Net is not asked to arm a second timer for the same wait.</summary>
    private static readonly NatsSubOpts UntimedReply = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan, ThrowIfNoResponders = false };

    private readonly INatsJSContext _js;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;
    private readonly bool _systemClock;

    internal JetStreamTransportPublisher(INatsJSContext js, PublisherOptions options)
    {
        _js = js;
        _timeout = options.PublishTimeout;
        _timeProvider = options.TimeProvider;
        _systemClock = ReferenceEquals(_timeProvider, TimeProvider.System);
    }

    /// <inheritdoc />
    public long MaxPayload => _js.Connection.ServerInfo?.MaxPayload ?? 0;

    /// <summary>Gets the publish timeout.</summary>
    internal TimeSpan Timeout => _timeout;

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<PublishResult> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        var subject = message.Subject;
        var start = _timeProvider.GetTimestamp();
        var connection = _js.Connection;
        if (connection.ConnectionState != NatsConnectionState.Open)
        {
            await ConnectionWait.WaitForOpenAsync(connection, subject, _timeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }

        // Nothing has been handed to the connection yet: a cancelled token still means nothing was sent.
        cancellationToken.ThrowIfCancellationRequested();
        var remaining = _timeout - _timeProvider.GetElapsedTime(start);
        if (remaining <= TimeSpan.Zero)
        {
            throw Errors.NotSent(subject, $"the connection did not open within the publish timeout of {Errors.Seconds(_timeout)}");
        }

        using var deadline = new CancellationTokenSource(remaining, _timeProvider);
        using var link = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token)
            : null;
        var token = link?.Token ?? deadline.Token;

        NatsMsg<PubAckResponse> reply;
        try
        {
            reply = await connection.RequestAsync(
                subject,
                message.Body,
                HeaderConversion.ToNats(message.Headers),
                BodySerializer,
                AckSerializer,
                requestOpts: null,
                // Another clock (a fake one in tests) may never move: NATS.Net's own timeout, on real time, still
                // ends a wait for an acknowledgement that never comes.
                replyOpts: _systemClock ? UntimedReply : new NatsSubOpts { Timeout = remaining, ThrowIfNoResponders = false },
                token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw Errors.OutcomeUnknown(subject, "the caller cancelled while waiting for the acknowledgement", ex);
        }
        catch (OperationCanceledException ex)
        {
            throw Errors.OutcomeUnknown(subject, $"no acknowledgement within the publish timeout of {Errors.Seconds(_timeout)}", ex);
        }
        catch (NatsNoReplyException ex)
        {
            throw Errors.OutcomeUnknown(subject, $"no acknowledgement within the publish timeout of {Errors.Seconds(_timeout)}", ex);
        }
        catch (NatsNoRespondersException ex)
        {
            throw Errors.NoStream(subject, ex);
        }
        catch (NatsPayloadTooLargeException ex)
        {
            throw Errors.Publish(subject, ex);
        }
        catch (Exception ex) when (Errors.IsNatsFailure(ex))
        {
            throw Errors.OutcomeUnknown(subject, ex.Message, ex);
        }

        if (reply.HasNoResponders)
        {
            throw Errors.NoStream(subject, null);
        }

        if (reply.Error is { } error)
        {
            // The reply arrived but could not be read as a PubAck: the server did answer, but what it said is unknown.
            throw Errors.OutcomeUnknown(subject, $"the acknowledgement could not be read: {error.Message}", error);
        }

        if (reply.Data is not { } ack)
        {
            throw Errors.OutcomeUnknown(subject, "the acknowledgement was empty", null);
        }

        if (ack.Error is { } apiError)
        {
            throw Errors.Rejected(subject, apiError);
        }

        // A duplicate (same Nats-Msg-Id inside the stream's window) is an outcome, not a failure: report it.
        return new PublishResult(ack.Stream, ack.Seq, ack.Duplicate);
    }
}
