using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.JetStream.Internal;

/// <summary>The raw JetStream publish behind <see cref="JetStreamPublisher{T}"/>.</summary>
internal sealed class JetStreamTransportPublisher : ITransportPublisher
{
    private readonly INatsJSContext _js;

    internal JetStreamTransportPublisher(INatsJSContext js) => _js = js;

    /// <inheritdoc />
    public long MaxPayload => _js.Connection.ServerInfo?.MaxPayload ?? 0;

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<PublishResult> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        var subject = message.Subject;

        // TryPublishAsync reports failures as a result rather than an exception, and is one async level below
        // PublishAsync, which only wraps it: this keeps the adapter's own await from adding a level per publish.
        NatsResult<PubAckResponse> result;
        try
        {
            result = await _js.TryPublishAsync(
                subject,
                message.Body,
                NatsRawSerializer<ReadOnlyMemory<byte>>.Default,
                opts: null,
                headers: HeaderConversion.ToNats(message.Headers),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Errors.IsNatsFailure(ex))
        {
            throw Errors.Publish(subject, ex);
        }

        if (!result.Success)
        {
            if (result.Error is OperationCanceledException)
            {
                ExceptionDispatchInfo.Throw(result.Error);
            }

            throw Errors.Publish(subject, result.Error);
        }

        var ack = result.Value;
        if (ack.Error is { } error)
        {
            throw Errors.Rejected(subject, error);
        }

        // A duplicate (same Nats-Msg-Id inside the stream's window) is an outcome, not a failure: report it.
        return new PublishResult(ack.Stream, ack.Seq, ack.Duplicate);
    }
}
